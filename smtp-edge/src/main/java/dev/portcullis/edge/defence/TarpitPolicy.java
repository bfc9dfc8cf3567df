package dev.portcullis.edge.defence;

import java.time.Duration;

/**
 * Postfix's error tarpit as one decision on the reply path (smtpd_chat_reply): once a
 * session has made {@code smtpd_soft_error_limit} errors, every further reply waits
 * {@code smtpd_error_sleep_time}; at {@code smtpd_hard_error_limit} errors the session is
 * told "421 ... too many errors" and closed.
 *
 * <p>Beyond Postfix, and off by default: escalation adds one more sleep time for each
 * error past the soft limit, up to a cap, as Postfix did before 2.1 (there the delay grew
 * with the error count).
 *
 * <p>The edge applies the delay with a timer; nothing here sleeps.
 */
public record TarpitPolicy(Duration sleepTime, int softLimit, int hardLimit, boolean escalation, Duration maxDelay) {

    public TarpitPolicy {
        if (softLimit < 0 || hardLimit < 0) {
            throw new IllegalArgumentException("error limits must not be negative");
        }
    }

    /** How long the next reply waits, given the errors made so far (before this reply). */
    public Duration delay(int errorCount) {
        if (errorCount < softLimit || sleepTime.isZero()) {
            return Duration.ZERO;
        }
        if (!escalation) {
            return sleepTime;
        }
        long steps = (long) errorCount - softLimit + 1;
        Duration escalated = sleepTime.multipliedBy(steps);
        return escalated.compareTo(maxDelay) > 0 ? maxDelay : escalated;
    }

    /** Whether a session with this many errors must be told 421 and closed. */
    public boolean overHardLimit(int errorCount) {
        return errorCount >= hardLimit;
    }
}
