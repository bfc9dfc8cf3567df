package dev.portcullis.bench;

/**
 * Latencies in whole milliseconds, one bucket per millisecond up to a cap (larger values
 * land in the last bucket; the exact maximum is kept aside). Thread-safe, cheap enough for
 * tens of thousands of records per second.
 */
final class Histogram {

    private final long[] buckets;
    private long count;
    private long maxMillis;
    private long sumMillis;

    Histogram(int capMillis) {
        buckets = new long[capMillis + 1];
    }

    synchronized void record(long millis) {
        long m = Math.max(0, millis);
        buckets[(int) Math.min(m, buckets.length - 1)]++;
        count++;
        sumMillis += m;
        maxMillis = Math.max(maxMillis, m);
    }

    synchronized long count() {
        return count;
    }

    synchronized long max() {
        return maxMillis;
    }

    synchronized double mean() {
        return count == 0 ? Double.NaN : (double) sumMillis / count;
    }

    /** The smallest value v such that at least {@code p} (0..1) of the records are &lt;= v; -1 when empty. */
    synchronized long percentile(double p) {
        if (count == 0) {
            return -1;
        }
        long rank = (long) Math.ceil(p * count);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= Math.max(1, rank)) {
                return i == buckets.length - 1 ? maxMillis : i;
            }
        }
        return maxMillis;
    }
}
