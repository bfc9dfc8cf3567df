package dev.portcullis.reputation.counts;

import java.util.Map;

/** A subject's counters summed over one window at one moment, with its score and reject breakdown. */
public record Totals(long[] values, long score, Map<String, Long> rejectsByCheck, Map<String, Long> rejectsByCode) {

    public static Totals of(ClientState s, int window, WindowSpec spec, long nowMillis) {
        long oldest = spec.oldestBucketAt(nowMillis);
        long[] values = s.window(window).totals(oldest);
        Breakdown b = s.window(window).breakdown(oldest);
        return new Totals(values, Score.of(values), b.byCheck(), b.byCode());
    }

    public long get(Counter c) {
        return values[c.ordinal()];
    }
}
