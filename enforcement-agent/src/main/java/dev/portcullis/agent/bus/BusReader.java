package dev.portcullis.agent.bus;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads the decisions topic (and the verdicts topic, when one is named) from the beginning,
 * on a thread of its own, and hands every record to a {@link Sink}.
 *
 * <p>How: one plain Kafka consumer that {@code assign}s every partition of both topics and
 * seeks to the beginning; it has no consumer group, so it commits nothing and leaves no group
 * behind in the broker (smtp-edge reaches the same with a group per start). The end offsets
 * of the decisions partitions are taken when they are first assigned; once the consumer's
 * position has reached every one of them the initial replay is complete
 * ({@link Sink#replayed()}, called once): the agent then knows every decision that was live
 * when it started. Partitions are looked up again every {@link #REFRESH}, so a topic created
 * late or grown later is read too.
 *
 * <p>Degrade, never stop: with the broker away the consumer retries for ever (the agent
 * keeps enforcing what it has); an exception from the sink for one record is counted, never
 * allowed to end the thread.
 */
public final class BusReader implements AutoCloseable {

    /** Where records go. Called on the reader's thread, one record at a time, in order per partition. */
    public interface Sink {
        void decision(String key, byte[] value, String where);

        void verdict(String key, byte[] value, String where);

        /** The initial replay of the decisions topic is complete. */
        void replayed();
    }

    static final Duration REFRESH = Duration.ofSeconds(30);
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Logger LOG = Logger.getLogger(BusReader.class);

    private final Map<String, Object> properties;
    private final String decisionsTopic;
    private final String verdictsTopic;
    private final Sink sink;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean replayed = new AtomicBoolean();
    private final AtomicLong replayLag = new AtomicLong(-1);
    private final AtomicLong sinkFailures = new AtomicLong();
    private volatile String state = "starting";
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    /**
     * @param kafka          consumer properties ({@code bootstrap.servers} at least; security settings pass through)
     * @param decisionsTopic the decisions topic
     * @param verdictsTopic  the verdicts topic, or null
     */
    public BusReader(Map<String, Object> kafka, String decisionsTopic, String verdictsTopic, Sink sink) {
        this.properties = new HashMap<>(kafka);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.putIfAbsent(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        properties.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        properties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.decisionsTopic = decisionsTopic;
        this.verdictsTopic = verdictsTopic;
        this.sink = sink;
    }

    public synchronized void start() {
        if (running.getAndSet(true)) {
            return;
        }
        thread = new Thread(this::run, "portcullis-agent-bus");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the initial replay of the decisions is complete. */
    public boolean isReplayed() {
        return replayed.get();
    }

    /** Records still to read before the replay is complete (-1 before the end offsets are known, 0 after). */
    public long replayLag() {
        return replayLag.get();
    }

    /** Records whose handling threw. */
    public long sinkFailures() {
        return sinkFailures.get();
    }

    /** What the reader is doing, for health: starting, replaying, following, waiting for the broker. */
    public String state() {
        return state;
    }

    public boolean isAlive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    private void run() {
        Set<TopicPartition> assigned = new HashSet<>();
        Map<TopicPartition, Long> replayTargets = new HashMap<>();
        boolean decisionsFound = false;
        long nextRefresh = 0;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(properties)) {
            consumer = c;
            while (running.get()) {
                try {
                    if (System.nanoTime() - nextRefresh >= 0) {
                        List<TopicPartition> decisions = partitions(c, decisionsTopic);
                        List<TopicPartition> all = new ArrayList<>(decisions);
                        if (verdictsTopic != null) {
                            all.addAll(partitions(c, verdictsTopic));
                        }
                        if (decisions.isEmpty() && !decisionsFound) {
                            if (!state.startsWith("waiting for topic")) {
                                LOG.warnf("topic %s has no partitions (does it exist?); waiting for it", decisionsTopic);
                            }
                            state = "waiting for topic " + decisionsTopic;
                        }
                        decisionsFound |= !decisions.isEmpty();
                        List<TopicPartition> fresh = all.stream().filter(tp -> !assigned.contains(tp)).toList();
                        if (!fresh.isEmpty()) {
                            assigned.addAll(fresh);
                            c.assign(assigned);
                            c.seekToBeginning(fresh);
                            if (!replayed.get()) {
                                List<TopicPartition> freshDecisions = fresh.stream()
                                        .filter(tp -> tp.topic().equals(decisionsTopic)).toList();
                                if (!freshDecisions.isEmpty()) {
                                    replayTargets.putAll(c.endOffsets(freshDecisions));
                                }
                            }
                        }
                        nextRefresh = System.nanoTime() + (decisionsFound ? REFRESH : RETRY).toNanos();
                    }
                    if (assigned.isEmpty()) {
                        pause(RETRY);
                        continue;
                    }
                    ConsumerRecords<String, byte[]> records = c.poll(POLL);
                    for (ConsumerRecord<String, byte[]> r : records) {
                        dispatch(r);
                    }
                    if (!replayed.get() && decisionsFound) {
                        checkReplayed(c, replayTargets);
                    } else if (replayed.get()) {
                        state = "following";
                    }
                } catch (WakeupException e) {
                    // close() is stopping us
                } catch (RuntimeException e) {
                    if (!running.get()) {
                        break;
                    }
                    state = "waiting for the broker: " + e.getClass().getSimpleName();
                    LOG.debugf("bus read failed, retrying: %s", e.toString());
                    pause(RETRY);
                }
            }
        } catch (RuntimeException e) {
            state = "stopped: " + e;
            LOG.errorf("bus reader stopped: %s", e.toString());
        } finally {
            consumer = null;
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        try {
            if (r.topic().equals(decisionsTopic)) {
                sink.decision(r.key(), r.value(), where);
            } else {
                sink.verdict(r.key(), r.value(), where);
            }
        } catch (RuntimeException e) {
            long n = sinkFailures.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.errorf("handling record %s failed (%d so far): %s", where, n, e.toString());
            }
        }
    }

    private void checkReplayed(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> targets) {
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> t : targets.entrySet()) {
            long position = c.position(t.getKey(), Duration.ofSeconds(5));
            lag += Math.max(0, t.getValue() - position);
        }
        replayLag.set(lag);
        state = "replaying (" + lag + " records to go)";
        if (lag == 0 && !replayed.get()) {
            LOG.infof("replay of %s complete", decisionsTopic);
            sink.replayed(); // before the flag: whoever sees the flag sees the enforcers told
            replayed.set(true);
            state = "following";
        }
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c, String topic) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
        if (infos == null) {
            return List.of();
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    @Override
    public synchronized void close() {
        if (!running.getAndSet(false)) {
            return;
        }
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
