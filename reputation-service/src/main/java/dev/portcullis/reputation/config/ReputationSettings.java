package dev.portcullis.reputation.config;

import dev.portcullis.reputation.counts.WindowSpec;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * Everything the reputation service is configured with, checked at start-up
 * ({@link ReputationSettingsLoader}).
 *
 * @param instanceId        this instance's name, written into verdicts as their issuer
 * @param cacheName         the Infinispan cache holding the counts
 * @param windows           the sliding windows; the first is anvil's ({@code anvil_rate_time_unit}),
 *                          the last the longest (score, top lists default to it)
 * @param ipv4Prefix        network size counts are also kept for (IPv4)
 * @param ipv6Prefix        the same for IPv6
 * @param anvil             the per-client anvil limits, applied to the sum over all edges
 * @param networkLimits     the same kind of limits per network (0 = off, the default)
 * @param limitExceptions   {@code smtpd_client_event_limit_exceptions}: never given an anvil verdict
 * @param softErrorLimit    {@code smtpd_soft_error_limit}: carried errors from here on make a verdict
 * @param hardErrorLimit    {@code smtpd_hard_error_limit}
 * @param errorMemory       how long carried errors are remembered after the last one
 * @param sessionMaxAge     an open session older than this is presumed lost with its edge
 * @param countVerdictTtl   how long a connection-count verdict lasts unless renewed
 * @param maxTracked        how many subjects the instance keeps in memory (more are re-read from Infinispan)
 * @param maxUnwritten      how many changed subjects may wait for the write in flight before the
 *                          aggregator waits for the grid (see {@code Aggregator#write})
 */
public record ReputationSettings(
        String instanceId,
        String cacheName,
        List<WindowSpec> windows,
        int ipv4Prefix,
        int ipv6Prefix,
        Limits anvil,
        Limits networkLimits,
        Predicate<InetAddress> limitExceptions,
        int softErrorLimit,
        int hardErrorLimit,
        Duration errorMemory,
        Duration sessionMaxAge,
        Duration countVerdictTtl,
        long maxTracked,
        int maxUnwritten) {

    public ReputationSettings {
        windows = List.copyOf(windows);
    }

    /** Limits over the anvil window; 0 = no limit. */
    public record Limits(int connectionCount, int connectionRate, int messageRate, int recipientRate) {
        public static final Limits NONE = new Limits(0, 0, 0, 0);

        public boolean any() {
            return connectionCount > 0 || connectionRate > 0 || messageRate > 0 || recipientRate > 0;
        }
    }

    /** The anvil window (index 0). */
    public WindowSpec anvilWindow() {
        return windows.get(0);
    }

    /** The longest window (the last). */
    public WindowSpec longestWindow() {
        return windows.get(windows.size() - 1);
    }

    /** The index of the window called {@code name}, or -1. */
    public int windowIndex(String name) {
        for (int i = 0; i < windows.size(); i++) {
            if (windows.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
