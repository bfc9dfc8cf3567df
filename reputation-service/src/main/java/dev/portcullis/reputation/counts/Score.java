package dev.portcullis.reputation.counts;

/**
 * A client's score over a window, in the spirit of Haraka's karma: good behaviour adds,
 * abuse subtracts, zero is unknown.
 *
 * <pre>
 *   score = delivered
 *         - errors                       (protocol errors and policy rejects, each)
 *         - 2 x unknown recipients       (on top of the error: directory harvesting)
 *         - 5 x content rejects          (on top of the error: spam or malware that got as far as DATA)
 *         - 10 x limits hit              (rate, connection and error limits)
 * </pre>
 *
 * The lower, the worse; {@code top?by=score} lists the lowest first.
 */
public final class Score {

    private Score() {
    }

    public static long of(long[] totals) {
        return totals[Counter.DELIVERED.ordinal()]
                - totals[Counter.ERRORS.ordinal()]
                - 2 * totals[Counter.UNKNOWN_RECIPIENTS.ordinal()]
                - 5 * totals[Counter.CONTENT_REJECTS.ordinal()]
                - 10 * totals[Counter.LIMIT_HITS.ordinal()];
    }
}
