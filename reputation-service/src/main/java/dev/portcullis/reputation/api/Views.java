package dev.portcullis.reputation.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.portcullis.events.Verdict;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the REST API. */
public final class Views {

    private Views() {
    }

    /**
     * Counts of one subject in one window: every counter by name, the score, and the
     * rejects broken down by check (restriction or limit) and by SMTP code.
     */
    public record WindowView(Map<String, Long> counts, long score, Map<String, Long> rejectsByCheck,
                             Map<String, Long> rejectsByCode) {
    }

    /** A verdict entry in force. */
    public record VerdictView(String limit, long value, long configured, Instant until) {
        static VerdictView of(Verdict.Entry e) {
            return new VerdictView(e.limit(), e.value(), e.configured(), e.until());
        }
    }

    /** A network's counts: the sum of its addresses' events over every edge. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NetworkView(String network, int openSessions, Map<String, WindowView> windows,
                              List<VerdictView> verdicts, Integer subnets) {
    }

    /** Everything known of one client IP. */
    public record ClientView(String ip, boolean known, Instant lastSeen, long score, String scoreWindow,
                             int openSessions, int carriedErrors, Map<String, WindowView> windows,
                             List<VerdictView> verdicts, NetworkView network) {
    }

    /** One line of a top list. */
    public record Offender(String ip, long value, long score, Map<String, Long> counts, List<VerdictView> verdicts) {
    }

    public record TopView(String by, String window, int top, List<Offender> offenders) {
    }
}
