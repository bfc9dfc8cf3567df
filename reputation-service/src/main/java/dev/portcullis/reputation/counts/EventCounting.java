package dev.portcullis.reputation.counts;

import dev.portcullis.events.SessionEvent;

import java.util.List;
import java.util.Set;

/**
 * How one session event changes a {@link ClientState}: which counters go up, in which
 * bucket (the event's own time, so a replay or a lagging consumer counts into the right
 * window), and what it does to open sessions and carried errors.
 *
 * <p>The counts follow smtpd and anvil: an error is every protocol error and every policy
 * reject (smtpd's error count); MAIL and RCPT are counted whether accepted or not (anvil
 * counts the attempt); a delivered message clears the carried errors (smtpd resets its
 * error count after a delivery).
 */
public final class EventCounting {

    /** Checks that judge content; a reject by one of them is a content reject wherever it fires. */
    private static final Set<String> CONTENT_CHECKS = Set.of("header_checks", "mime_header_checks",
            "nested_header_checks", "body_checks", "content-filter");

    private final List<WindowSpec> windows;

    public EventCounting(List<WindowSpec> windows) {
        this.windows = List.copyOf(windows);
    }

    /** Applies {@code event}, which happened at {@code atMillis}. */
    public void apply(ClientState s, SessionEvent event, long atMillis) {
        s.seen(atMillis);
        if (event instanceof SessionEvent.Connect c) {
            count(s, atMillis, Counter.CONNECTIONS, 1);
            s.sessionOpened(sessionKey(c), atMillis);
        } else if (event instanceof SessionEvent.Disconnect d) {
            s.sessionClosed(sessionKey(d));
        } else if (event instanceof SessionEvent.Mail) {
            count(s, atMillis, Counter.MESSAGES, 1);
        } else if (event instanceof SessionEvent.Rcpt) {
            count(s, atMillis, Counter.RECIPIENTS, 1);
        } else if (event instanceof SessionEvent.Accepted) {
            count(s, atMillis, Counter.DELIVERED, 1);
            s.delivered();
        } else if (event instanceof SessionEvent.Reject r) {
            reject(s, r, atMillis);
        } else if (event instanceof SessionEvent.Error) {
            count(s, atMillis, Counter.ERRORS, 1);
            s.error(atMillis);
        } else if (event instanceof SessionEvent.Tarpit t) {
            count(s, atMillis, Counter.TARPIT_MILLIS, Math.max(0, t.delayMillis()));
        } else if (event instanceof SessionEvent.Limit) {
            count(s, atMillis, Counter.LIMIT_HITS, 1);
        }
        // HELO and DATA are not counted: DATA's outcome is (ACCEPTED or REJECT).
    }

    private void reject(ClientState s, SessionEvent.Reject r, long atMillis) {
        count(s, atMillis, Counter.ERRORS, 1);
        count(s, atMillis, Counter.REJECTS, 1);
        String stage = r.stage() == null ? "" : r.stage();
        switch (stage) {
            case "MAIL" -> count(s, atMillis, Counter.MESSAGES, 1);
            case "RCPT" -> {
                count(s, atMillis, Counter.RECIPIENTS, 1);
                if ("5.1.1".equals(r.enhancedCode())) {
                    count(s, atMillis, Counter.UNKNOWN_RECIPIENTS, 1);
                }
            }
            default -> {
            }
        }
        if (CONTENT_CHECKS.contains(r.check()) || "END-OF-MESSAGE".equals(stage) && r.code() >= 500) {
            count(s, atMillis, Counter.CONTENT_REJECTS, 1);
        }
        for (int w = 0; w < windows.size(); w++) {
            s.windows[w].addReject(windows.get(w).bucketOf(atMillis), r.check(), r.code());
        }
        s.error(atMillis);
    }

    private void count(ClientState s, long atMillis, Counter counter, long amount) {
        for (int w = 0; w < windows.size(); w++) {
            s.windows[w].add(windows.get(w).bucketOf(atMillis), counter, amount);
        }
    }

    /** Forgets what has slid out of every window, and sessions presumed lost. */
    public void prune(ClientState s, long nowMillis, long sessionMaxAgeMillis) {
        for (int w = 0; w < windows.size(); w++) {
            s.windows[w].prune(windows.get(w).oldestBucketAt(nowMillis));
        }
        s.expireSessions(nowMillis - sessionMaxAgeMillis);
    }

    /** Edge id and session id in 64 bits (FNV-1a): sessions are unique per edge, not across edges. */
    static long sessionKey(SessionEvent e) {
        long h = 0xcbf29ce484222325L;
        h = mix(h, e.meta().edgeId());
        h = (h ^ '/') * 0x100000001b3L;
        return mix(h, e.meta().sessionId());
    }

    private static long mix(long h, String s) {
        if (s != null) {
            for (int i = 0; i < s.length(); i++) {
                h = (h ^ s.charAt(i)) * 0x100000001b3L;
            }
        }
        return h;
    }
}
