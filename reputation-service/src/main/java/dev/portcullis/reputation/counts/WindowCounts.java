package dev.portcullis.reputation.counts;

import java.util.Arrays;

/**
 * The counters of one client (or network) in one {@link WindowSpec}: a sparse list of
 * buckets, oldest first, each holding {@link Counter#SIZE} values and an optional
 * {@link Breakdown} of its rejects.
 *
 * <p>Why sparse: most clients are seen in one or two buckets, so an array per bucket that
 * exists costs far less than a ring of every bucket of the window. A client sending all
 * the time holds at most length / granularity buckets (12 for 60s/5s).
 *
 * <p>Not thread-safe: a {@link ClientState} is touched by one thread at a time.
 */
public final class WindowCounts {

    private static final long[] NO_IDS = new long[0];
    private static final long[] NO_VALUES = new long[0];

    private long[] ids = NO_IDS;        // bucket ids, ascending
    private long[] values = NO_VALUES;  // ids.length * Counter.SIZE
    private Breakdown[] breakdowns;     // null until a bucket has one
    private int size;

    /** Adds {@code amount} to {@code counter} in bucket {@code bucket}; older buckets than the newest are allowed. */
    public void add(long bucket, Counter counter, long amount) {
        int i = slot(bucket); // may grow the arrays: take the index before touching values
        values[i * Counter.SIZE + counter.ordinal()] += amount;
    }

    /** Counts one reject by its check and code in bucket {@code bucket}. */
    public void addReject(long bucket, String check, int code) {
        int i = slot(bucket);
        if (breakdowns == null) {
            breakdowns = new Breakdown[ids.length];
        }
        if (breakdowns[i] == null) {
            breakdowns[i] = new Breakdown();
        }
        breakdowns[i].add(Breakdown.CHECK + (check == null ? "unknown" : check), 1);
        breakdowns[i].add(Breakdown.CODE + code, 1);
    }

    /** Forgets buckets older than {@code oldest}. */
    public void prune(long oldest) {
        int drop = 0;
        while (drop < size && ids[drop] < oldest) {
            drop++;
        }
        if (drop == 0) {
            return;
        }
        int keep = size - drop;
        System.arraycopy(ids, drop, ids, 0, keep);
        System.arraycopy(values, drop * Counter.SIZE, values, 0, keep * Counter.SIZE);
        Arrays.fill(values, keep * Counter.SIZE, size * Counter.SIZE, 0);
        if (breakdowns != null) {
            System.arraycopy(breakdowns, drop, breakdowns, 0, keep);
            Arrays.fill(breakdowns, keep, size, null);
        }
        size = keep;
        if (size == 0) {
            ids = NO_IDS;
            values = NO_VALUES;
            breakdowns = null;
        }
    }

    /** The sum of {@code counter} over buckets from {@code oldest} on. */
    public long sum(Counter counter, long oldest) {
        long total = 0;
        for (int i = size - 1; i >= 0 && ids[i] >= oldest; i--) {
            total += values[i * Counter.SIZE + counter.ordinal()];
        }
        return total;
    }

    /** Every counter summed over buckets from {@code oldest} on, indexed by ordinal. */
    public long[] totals(long oldest) {
        long[] t = new long[Counter.SIZE];
        for (int i = size - 1; i >= 0 && ids[i] >= oldest; i--) {
            for (int c = 0; c < Counter.SIZE; c++) {
                t[c] += values[i * Counter.SIZE + c];
            }
        }
        return t;
    }

    /** The reject breakdown summed over buckets from {@code oldest} on. */
    public Breakdown breakdown(long oldest) {
        Breakdown sum = new Breakdown();
        if (breakdowns != null) {
            for (int i = size - 1; i >= 0 && ids[i] >= oldest; i--) {
                if (breakdowns[i] != null) {
                    sum.addAll(breakdowns[i]);
                }
            }
        }
        return sum;
    }

    /**
     * The first bucket id from which on the sum of {@code counter} stays at or below
     * {@code limit}, counting only buckets from {@code oldest} on: the window has to slide
     * past every bucket before it for the client to be back under the limit.
     * Returns {@code oldest} when the sum is already within the limit.
     */
    public long firstBucketWithin(Counter counter, long oldest, long limit) {
        long total = sum(counter, oldest);
        long from = oldest;
        for (int i = 0; i < size && total > limit; i++) {
            if (ids[i] < oldest) {
                continue;
            }
            total -= values[i * Counter.SIZE + counter.ordinal()];
            from = ids[i] + 1;
        }
        return from;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public int buckets() {
        return size;
    }

    public void adoptAll(WindowCounts other) {
        for (int i = 0; i < other.size; i++) {
            int s = slot(other.ids[i]);
            for (int c = 0; c < Counter.SIZE; c++) {
                values[s * Counter.SIZE + c] += other.values[i * Counter.SIZE + c];
            }
            if (other.breakdowns != null && other.breakdowns[i] != null) {
                if (breakdowns == null) {
                    breakdowns = new Breakdown[ids.length];
                }
                if (breakdowns[s] == null) {
                    breakdowns[s] = new Breakdown();
                }
                breakdowns[s].addAll(other.breakdowns[i]);
            }
        }
    }

    // ------------------------------------------------------------------ codec access

    long bucketId(int i) {
        return ids[i];
    }

    long value(int i, int counter) {
        return values[i * Counter.SIZE + counter];
    }

    Breakdown breakdownAt(int i) {
        return breakdowns == null ? null : breakdowns[i];
    }

    void restore(long bucket, long[] counters, Breakdown breakdown) {
        int s = slot(bucket);
        System.arraycopy(counters, 0, values, s * Counter.SIZE, Counter.SIZE);
        if (breakdown != null) {
            if (breakdowns == null) {
                breakdowns = new Breakdown[ids.length];
            }
            breakdowns[s] = breakdown;
        }
    }

    /** The index of bucket {@code bucket}, inserted in order if new. */
    private int slot(long bucket) {
        // The newest bucket is by far the most common target: check it first.
        if (size > 0 && ids[size - 1] == bucket) {
            return size - 1;
        }
        int at = Arrays.binarySearch(ids, 0, size, bucket);
        if (at >= 0) {
            return at;
        }
        int insert = -at - 1;
        if (size == ids.length) {
            int capacity = Math.max(2, size + (size >> 1) + 1);
            ids = Arrays.copyOf(ids, capacity);
            values = Arrays.copyOf(values, capacity * Counter.SIZE);
            if (breakdowns != null) {
                breakdowns = Arrays.copyOf(breakdowns, capacity);
            }
        }
        System.arraycopy(ids, insert, ids, insert + 1, size - insert);
        System.arraycopy(values, insert * Counter.SIZE, values, (insert + 1) * Counter.SIZE,
                (size - insert) * Counter.SIZE);
        Arrays.fill(values, insert * Counter.SIZE, (insert + 1) * Counter.SIZE, 0);
        if (breakdowns != null) {
            System.arraycopy(breakdowns, insert, breakdowns, insert + 1, size - insert);
            breakdowns[insert] = null;
        }
        ids[insert] = bucket;
        size++;
        return insert;
    }
}
