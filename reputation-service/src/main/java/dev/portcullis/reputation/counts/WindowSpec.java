package dev.portcullis.reputation.counts;

import java.time.Duration;

/**
 * One sliding window: counts over the last {@code length}, kept in buckets of
 * {@code granularity}. A window's count at time t is the sum of the buckets that start after
 * {@code t - length} (so it slides in steps of one bucket), which is why the granularity
 * must divide the length.
 *
 * @param name        how the REST API names it: the length in seconds with an {@code s}, e.g. {@code 60s}
 * @param length      how far back it counts
 * @param granularity its bucket width
 */
public record WindowSpec(String name, Duration length, Duration granularity) {

    public WindowSpec {
        if (granularity.isZero() || granularity.isNegative() || length.compareTo(granularity) < 0) {
            throw new IllegalArgumentException("window " + length + " with granularity " + granularity
                    + ": the granularity must be positive and not longer than the window");
        }
        if (length.toMillis() % granularity.toMillis() != 0) {
            throw new IllegalArgumentException("window " + length + ": its granularity " + granularity
                    + " does not divide it");
        }
    }

    public static WindowSpec of(Duration length, Duration granularity) {
        return new WindowSpec(length.toSeconds() + "s", length, granularity);
    }

    public long granularityMillis() {
        return granularity.toMillis();
    }

    /** The bucket an instant (epoch millis) falls in. */
    public long bucketOf(long epochMillis) {
        return Math.floorDiv(epochMillis, granularityMillis());
    }

    /** The oldest bucket still inside the window at {@code nowMillis}. */
    public long oldestBucketAt(long nowMillis) {
        return bucketOf(nowMillis) - length.toMillis() / granularityMillis() + 1;
    }
}
