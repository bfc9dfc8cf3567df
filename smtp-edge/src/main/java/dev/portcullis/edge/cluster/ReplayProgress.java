package dev.portcullis.edge.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Knows when the replay of a compacted topic from the beginning has caught up with what the
 * topic held when this process started: the end offsets are taken once (Admin API, retried
 * in the background while the broker is away), and the replay is complete when every
 * partition's consumer has delivered the record just before its end offset. A topic that does
 * not exist yet, or is empty, is complete at once: there is nothing to know.
 *
 * <p>Why: an edge that takes traffic before it knows the live bans lets banned clients in
 * for the length of the replay. Readiness waits for this, but only up to a bound (see
 * {@link #settled()}), because an edge that cannot reach the bus must still serve mail.
 */
final class ReplayProgress {

    private static final Logger LOG = Logger.getLogger(ReplayProgress.class);

    private final String topic;
    private final Map<Integer, Long> lastSeen = new ConcurrentHashMap<>();
    private final long startNanos;
    private final long waitNanos;
    private final LongSupplier nanoTime;
    private volatile Map<Integer, Long> endOffsets;
    private volatile long completedNanos = -1;
    private volatile long firstNanos = -1;
    private volatile boolean gaveUp;

    ReplayProgress(String topic, Duration wait, LongSupplier nanoTime) {
        this.topic = topic;
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.waitNanos = wait.toNanos();
    }

    /** Takes the end offsets, retrying until it can or the thread is interrupted. */
    void fetchEndOffsets(String bootstrapServers) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        try (Admin admin = Admin.create(p)) {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    endOffsets(query(admin));
                    return;
                } catch (ExecutionException | RuntimeException e) {
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    if (cause instanceof UnknownTopicOrPartitionException) {
                        endOffsets(Map.of());
                        return;
                    }
                    LOG.debugf("end offsets of %s not known yet: %s", topic, cause);
                    TimeUnit.SECONDS.sleep(1);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<Integer, Long> query(Admin admin) throws ExecutionException, InterruptedException {
        TopicDescription d = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic);
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        d.partitions().forEach(pi -> specs.put(new TopicPartition(topic, pi.partition()), OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = admin.listOffsets(specs).all().get();
        Map<Integer, Long> ends = new HashMap<>();
        r.forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    /** The end offsets per partition as they were at start (visible for tests). */
    void endOffsets(Map<Integer, Long> ends) {
        endOffsets = Map.copyOf(ends);
        check();
    }

    /** A record of {@code partition} at {@code offset} was delivered. */
    void delivered(int partition, long offset) {
        if (firstNanos < 0) {
            firstNanos = nanoTime.getAsLong();
        }
        lastSeen.merge(partition, offset, Math::max);
        if (completedNanos < 0) {
            check();
        }
    }

    private void check() {
        Map<Integer, Long> ends = endOffsets;
        if (ends == null || completedNanos >= 0) {
            return;
        }
        for (var e : ends.entrySet()) {
            long end = e.getValue();
            if (end > 0 && lastSeen.getOrDefault(e.getKey(), -1L) < end - 1) {
                return;
            }
        }
        completedNanos = nanoTime.getAsLong();
        // the first record's time splits the figure: joining the broker vs fetching and applying
        long first = firstNanos;
        LOG.infof("%s replayed in %d ms (first record after %d ms)", topic,
                TimeUnit.NANOSECONDS.toMillis(completedNanos - startNanos),
                first < 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(first - startNanos));
    }

    /** Whether everything the topic held at start has been delivered. */
    boolean complete() {
        return completedNanos >= 0;
    }

    /** How long the replay took, or -1 while it runs. */
    long replayMillis() {
        long c = completedNanos;
        return c < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(c - startNanos);
    }

    /**
     * Whether the edge may stop waiting: the replay is complete, or the bound has passed (then
     * the edge serves on what it has, and says so once in the log).
     */
    boolean settled() {
        if (complete()) {
            return true;
        }
        if (nanoTime.getAsLong() - startNanos < waitNanos) {
            return false;
        }
        if (!gaveUp) {
            gaveUp = true;
            LOG.warnf("%s not replayed within %d ms (broker away?): serving with the %d partitions' records"
                    + " read so far; bans arriving later apply as they come", topic,
                    TimeUnit.NANOSECONDS.toMillis(waitNanos), lastSeen.size());
        }
        return true;
    }
}
