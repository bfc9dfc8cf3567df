package dev.portcullis.reputation.verdict;

import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.config.ReputationSettings;
import dev.portcullis.reputation.config.ReputationSettings.Limits;
import dev.portcullis.reputation.counts.ClientState;
import dev.portcullis.reputation.counts.Counter;
import dev.portcullis.reputation.counts.WindowCounts;
import dev.portcullis.reputation.counts.WindowSpec;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which limits a subject is over, summed over every edge, and until when.
 *
 * <p>Rates follow anvil: the count over {@code anvil_rate_time_unit} must go <em>above</em>
 * the limit (the limit-th event is still allowed), and every attempt counts, refused ones
 * included - so a client that keeps hammering stays over. Where anvil uses a fixed window
 * that restarts, the cluster uses a sliding one (see {@link WindowSpec}); a rate entry lasts
 * until enough buckets have slid out of the window for the count to be back within the
 * limit, assuming nothing new arrives (new events renew it).
 *
 * <p>The connection count is a state, not a rate: while the client holds as many sessions
 * as {@code smtpd_client_connection_count_limit} allows, over all edges, the next one is
 * refused. Its entry lasts {@code connection-count-verdict-ttl} and is renewed while the
 * sessions stay open, so it cannot outlive a reputation service that died.
 *
 * <p>Carried errors: once a client's errors since its last delivered message reach
 * {@code smtpd_soft_error_limit}, new sessions start with that error count (tarpitted);
 * the entry lasts until the error memory has passed since the last error.
 */
public final class VerdictRules {

    private final ReputationSettings settings;

    public VerdictRules(ReputationSettings settings) {
        this.settings = settings;
    }

    /** The entries for a client IP. */
    public List<Verdict.Entry> forClient(ClientState s, boolean exempt, long nowMillis) {
        List<Verdict.Entry> out = new ArrayList<>(2);
        if (!exempt) {
            limits(s, settings.anvil(), nowMillis, out);
        }
        int soft = settings.softErrorLimit();
        if (soft > 0) {
            int carried = s.carriedErrors(nowMillis, settings.errorMemory().toMillis());
            if (carried >= soft) {
                out.add(new Verdict.Entry(Verdict.CARRIED_ERRORS, carried, soft,
                        Instant.ofEpochMilli(s.lastErrorMillis() + settings.errorMemory().toMillis())));
            }
        }
        return out;
    }

    /** The entries for a network (sum of its shards): only the network rate limits, when set. */
    public List<Verdict.Entry> forNetwork(ClientState sum, long nowMillis) {
        List<Verdict.Entry> out = new ArrayList<>(1);
        limits(sum, settings.networkLimits(), nowMillis, out);
        return out;
    }

    private void limits(ClientState s, Limits limits, long nowMillis, List<Verdict.Entry> out) {
        if (limits.connectionCount() > 0 && s.openSessions() >= limits.connectionCount()) {
            out.add(new Verdict.Entry(Verdict.CONNECTION_COUNT, s.openSessions(), limits.connectionCount(),
                    Instant.ofEpochMilli(nowMillis + settings.countVerdictTtl().toMillis())));
        }
        rate(s, Counter.CONNECTIONS, limits.connectionRate(), Verdict.CONNECTION_RATE, nowMillis, out);
        rate(s, Counter.MESSAGES, limits.messageRate(), Verdict.MESSAGE_RATE, nowMillis, out);
        rate(s, Counter.RECIPIENTS, limits.recipientRate(), Verdict.RECIPIENT_RATE, nowMillis, out);
    }

    private void rate(ClientState s, Counter counter, int limit, String name, long nowMillis,
                      List<Verdict.Entry> out) {
        if (limit <= 0) {
            return;
        }
        WindowSpec spec = settings.anvilWindow();
        WindowCounts w = s.window(0);
        long oldest = spec.oldestBucketAt(nowMillis);
        long count = w.sum(counter, oldest);
        if (count <= limit) {
            return;
        }
        long from = w.firstBucketWithin(counter, oldest, limit);
        long buckets = spec.length().toMillis() / spec.granularity().toMillis();
        long until = (from + buckets - 1) * spec.granularity().toMillis();
        out.add(new Verdict.Entry(name, count, limit, Instant.ofEpochMilli(Math.max(until, nowMillis + 1))));
    }

    /**
     * Whether {@code next} must be published given {@code last} was: a limit started or
     * ended, or an expiry moved by at least a second (small moves are not worth a record
     * on every batch of a flood).
     */
    public static boolean changed(List<Verdict.Entry> last, List<Verdict.Entry> next, long nowMillis) {
        if (next.isEmpty()) {
            return !last.isEmpty(); // a tombstone also clears what expired on its own
        }
        Instant now = Instant.ofEpochMilli(nowMillis);
        List<Verdict.Entry> live = last.stream().filter(e -> e.activeAt(now)).toList();
        if (live.size() != next.size()) {
            return true;
        }
        for (Verdict.Entry n : next) {
            Verdict.Entry l = live.stream().filter(e -> e.limit().equals(n.limit())).findFirst().orElse(null);
            if (l == null || Math.abs(n.until().toEpochMilli() - l.until().toEpochMilli()) >= 1000) {
                return true;
            }
        }
        return false;
    }
}
