package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;

/**
 * A session's anvil limits: this edge's {@link LocalAnvil} is asked first and always counts,
 * then the cluster-wide verdicts ({@link ClusterVerdicts}) are a layer over that floor and
 * refuse exactly as the local limit would. Clients in
 * {@code smtpd_client_event_limit_exceptions} are exempt from both.
 */
final class SessionLimits {

    /** Marks a limit warning in the mail log as a cluster verdict's, not this edge's anvil's. */
    static final String CLUSTER_WIDE = " (cluster-wide)";

    /** A refusal and who made it: "" for this edge's anvil, {@link #CLUSTER_WIDE} for a verdict. */
    record Hit(LocalAnvil.Exceeded over, String scope) { }

    private final SmtpSession s;
    /** In {@code smtpd_client_event_limit_exceptions}: no anvil limit, local or cluster-wide. */
    boolean anvilExempt;

    SessionLimits(SmtpSession s) {
        this.s = s;
    }

    /**
     * The local anvil's answer ({@code local}, null when under its limit), else the first of
     * {@code verdicts} in force cluster-wide for this client; either is counted and published
     * as a LIMIT. Null when neither refuses.
     */
    Hit check(LocalAnvil.Exceeded local, String... verdicts) {
        if (local != null) {
            limitHit(local);
            return new Hit(local, "");
        }
        for (String verdict : verdicts) {
            ClusterVerdicts.Match cluster = clusterLimit(verdict);
            if (cluster != null) {
                return new Hit(clusterLimitHit(cluster), CLUSTER_WIDE);
            }
        }
        return null;
    }

    void limitHit(LocalAnvil.Exceeded over) {
        s.services.metrics().limit(over.parameter());
        s.publish(new SessionEvent.Limit(s.meta(), over.parameter(), over.value(), over.limit()));
    }

    /** A cluster-wide anvil verdict in force for this client, or null (also for exempt clients). */
    private ClusterVerdicts.Match clusterLimit(String limit) {
        return anvilExempt ? null : s.services.verdicts().find(s.clientAddress, limit);
    }

    /**
     * Counts and publishes a refusal by a cluster verdict (a LIMIT event with the verdict's
     * value and configured limit, as for a local one); returns it as a limit hit.
     */
    private LocalAnvil.Exceeded clusterLimitHit(ClusterVerdicts.Match cluster) {
        Verdict.Entry e = cluster.entry();
        LocalAnvil.Exceeded over = new LocalAnvil.Exceeded(e.limit(), e.value(), e.configured());
        s.services.metrics().clusterRefusal(e.limit());
        limitHit(over);
        return over;
    }
}
