package dev.portcullis.events;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads compacted topics from the beginning, on a daemon thread of its own, and hands every
 * record to its topic's {@link Handler}: how an enforcement point (an edge, the enforcement
 * agent) learns every live decision and verdict, and then follows the changes.
 *
 * <p>How: one plain Kafka consumer that {@code assign}s every partition of every topic and
 * seeks to its beginning once, when the partition is first seen. It belongs to no consumer
 * group: it commits nothing, leaves no group behind in the broker, waits for no group join
 * or {@code group.initial.rebalance.delay.ms} before its first record, and is never
 * rebalanced, so a broker that goes away and comes back does not send it back to the
 * earliest offset: it goes on from the position it had (a group that committed nothing would
 * re-read the whole topic after a rebalance, and new records would wait behind that replay).
 *
 * <p>Each topic has its own "replay complete" signal: the end of each of its partitions is the
 * high watermark the first fetch response for it brings, and once the consumer's position has
 * reached every one of them the topic's {@link Subscription#replayed()} runs, once: the reader
 * then knows every record the topic held when it was first read. Partitions are listed again every {@link #REFRESH}
 * (and the client's metadata is kept no older than that)
 * (every {@link #RETRY} while some topic has none), so a topic created late or grown later is
 * read too; a topic that does not exist is not replayed until it does.
 *
 * <p>Degrade, never stop: with the broker away the consumer retries for ever (its user keeps
 * enforcing what it has); an exception from a handler for one record is counted and logged
 * (the first and every thousandth), never allowed to end the thread.
 */
public final class BusReader implements AutoCloseable {

    /** Handles one record. Called on the reader's thread, one record at a time, in order per partition. */
    @FunctionalInterface
    public interface Handler {
        void handle(ConsumerRecord<String, byte[]> record);
    }

    /**
     * One topic to read.
     *
     * @param topic    the topic
     * @param handler  gets every record of it
     * @param replayed runs once, on the reader's thread, when every record the topic held when
     *                 first fetched has been handled (null: nothing to run)
     */
    public record Subscription(String topic, Handler handler, Runnable replayed) {
        public Subscription {
            if (topic == null || topic.isBlank() || handler == null) {
                throw new IllegalArgumentException("a subscription needs a topic and a handler");
            }
        }
    }

    /** Where one topic's initial replay stands. */
    public enum Replay {
        /** partitions not listed yet */
        STARTING,
        /** the topic has no partitions (does not exist yet) */
        NO_TOPIC,
        REPLAYING,
        REPLAYED
    }

    static final Duration REFRESH = Duration.ofSeconds(30);
    /** A replay target not known yet: no fetch response for the partition so far. */
    private static final long UNKNOWN = -1;
    static final Duration RETRY = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Logger LOG = Logger.getLogger(BusReader.class);

    private final String name;
    private final Duration refresh;
    private final Map<String, Object> properties;
    private final Map<String, TopicState> topics = new LinkedHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong handlerFailures = new AtomicLong();
    private volatile String state = "starting";
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile long startNanos;
    /** When the consumer was built (-1 before): splits a slow first record into client start and broker round trips. */
    private volatile long consumerNanos = -1;
    private Thread thread;
    /** Reader's thread only: where the time went, for the replay-complete log line. */
    private long pollNanos, handleNanos, polls;

    /**
     * @param name   names the thread ({@code NAME-bus}) and the log lines
     * @param kafka  consumer properties ({@code bootstrap.servers} at least; security settings pass
     *               through; a {@code group.id} is dropped, and the deserializers, offset reset and
     *               auto-commit are the reader's own)
     * @param topics what to read, each topic once
     */
    public BusReader(String name, Map<String, ?> kafka, List<Subscription> topics) {
        this(name, kafka, topics, REFRESH);
    }

    /** As above, listing the partitions again every {@code refresh} (tests). */
    BusReader(String name, Map<String, ?> kafka, List<Subscription> topics, Duration refresh) {
        this.name = name;
        this.refresh = refresh;
        this.properties = new HashMap<>(kafka);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // only after an offset the broker no longer has (compaction or retention overtook us)
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // the launcher creates these topics compacted; a reader must not create a plain one
        properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        properties.remove(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
        properties.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, name + "-bus");
        properties.putIfAbsent(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        properties.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        properties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        // partitionsFor answers from the metadata cache: without this a grown topic's new
        // partitions would stay unseen for the client's default of five minutes
        properties.putIfAbsent(ConsumerConfig.METADATA_MAX_AGE_CONFIG, String.valueOf(refresh.toMillis()));
        // A start-up replay of 100,000 decisions in a few round trips, not one MiB per partition each.
        properties.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(8 << 20));
        properties.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(16 << 20));
        // Such a fetch through the client's default 64 KiB socket buffer arrives in 64 KiB steps;
        // -1 leaves the buffer to the OS, which grows it to what the transfer needs.
        properties.putIfAbsent(ConsumerConfig.RECEIVE_BUFFER_CONFIG, "-1");
        // No client telemetry to the broker (KIP-714): a reader has nothing for it, and it would
        // be one more request type, and its set-up, before the first fetch.
        properties.putIfAbsent(ConsumerConfig.ENABLE_METRICS_PUSH_CONFIG, "false");
        for (Subscription s : topics) {
            if (this.topics.put(s.topic(), new TopicState(s)) != null) {
                throw new IllegalArgumentException("topic " + s.topic() + " subscribed twice");
            }
        }
        if (this.topics.isEmpty()) {
            throw new IllegalArgumentException("no topic to read");
        }
    }

    public synchronized void start() {
        if (running.getAndSet(true)) {
            return;
        }
        startNanos = System.nanoTime();
        thread = new Thread(this::run, name + "-bus");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the initial replay of {@code topic} is complete. */
    public boolean isReplayed(String topic) {
        return topic(topic).replay == Replay.REPLAYED;
    }

    /** Where the initial replay of {@code topic} stands. */
    public Replay replay(String topic) {
        return topic(topic).replay;
    }

    /** Records of {@code topic} still to read before its replay is complete (-1 until every partition's end is known). */
    public long replayLag(String topic) {
        return topic(topic).lag;
    }

    /** Milliseconds from {@link #start()} to the end of the replay of {@code topic}, or -1 while it runs. */
    public long replayMillis(String topic) {
        long done = topic(topic).replayedNanos;
        return done < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(done - startNanos);
    }

    /** Records whose handler threw. */
    public long handlerFailures() {
        return handlerFailures.get();
    }

    /** What the reader is doing, for health: starting, replaying, following, waiting for the broker. */
    public String state() {
        return state;
    }

    public boolean isAlive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    private TopicState topic(String topic) {
        TopicState t = topics.get(topic);
        if (t == null) {
            throw new IllegalArgumentException("not a topic of this reader: " + topic);
        }
        return t;
    }

    private void run() {
        Set<TopicPartition> assigned = new HashSet<>();
        long nextRefresh = System.nanoTime();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(properties)) {
            consumerNanos = System.nanoTime();
            consumer = c;
            while (running.get()) {
                try {
                    if (System.nanoTime() - nextRefresh >= 0) {
                        boolean allFound = refresh(c, assigned);
                        nextRefresh = System.nanoTime() + (allFound ? refresh : RETRY).toNanos();
                    }
                    if (assigned.isEmpty()) {
                        pause(RETRY);
                        continue;
                    }
                    long p0 = System.nanoTime();
                    ConsumerRecords<String, byte[]> records = c.poll(POLL);
                    long p1 = System.nanoTime();
                    for (ConsumerRecord<String, byte[]> r : records) {
                        dispatch(r);
                    }
                    pollNanos += p1 - p0;
                    handleNanos += System.nanoTime() - p1;
                    polls++;
                    checkReplayed(c);
                } catch (WakeupException e) {
                    // close() is stopping us
                } catch (RuntimeException e) {
                    if (!running.get()) {
                        break;
                    }
                    state = "waiting for the broker: " + e.getClass().getSimpleName();
                    LOG.debugf("%s: bus read failed, retrying: %s", name, e.toString());
                    pause(RETRY);
                }
            }
        } catch (RuntimeException e) {
            state = "stopped: " + e;
            LOG.errorf("%s: bus reader stopped: %s", name, e.toString());
        } finally {
            consumer = null;
        }
    }

    /** Lists every topic's partitions, assigns the new ones from their beginning; true when every topic has some. */
    private boolean refresh(KafkaConsumer<String, byte[]> c, Set<TopicPartition> assigned) {
        boolean allFound = true;
        List<TopicPartition> fresh = new ArrayList<>();
        List<TopicPartition> toReplay = new ArrayList<>();
        for (TopicState t : topics.values()) {
            List<TopicPartition> partitions = partitions(c, t.subscription.topic());
            if (partitions.isEmpty()) {
                allFound = false;
                if (t.replay == Replay.STARTING) {
                    LOG.warnf("%s: topic %s has no partitions (does it exist?); waiting for it", name,
                            t.subscription.topic());
                    t.replay = Replay.NO_TOPIC;
                }
                continue;
            }
            List<TopicPartition> newOnes = partitions.stream().filter(tp -> !assigned.contains(tp)).toList();
            fresh.addAll(newOnes);
            if (t.replay != Replay.REPLAYED) {
                toReplay.addAll(newOnes);
            }
        }
        if (fresh.isEmpty()) {
            return allFound;
        }
        assigned.addAll(fresh);
        c.assign(assigned);
        // Offset 0 rather than seekToBeginning(), which asks the broker for the log start offset
        // first: the round trip it saves is on the start-up replay's critical path. Where the log
        // no longer starts at 0 (retention), the fetch is out of range and auto.offset.reset=earliest
        // moves it to the log start.
        fresh.forEach(tp -> c.seek(tp, 0));
        // The end of the replay is each partition's high watermark as the first fetch response
        // for it says (UNKNOWN until then; see checkReplayed): no ListOffsets round trip, and
        // its set-up in a starting client, before the first fetch.
        long now = System.nanoTime();
        for (TopicPartition tp : toReplay) {
            TopicState t = topics.get(tp.topic());
            t.targets.put(tp, UNKNOWN);
            if (t.assignedNanos < 0) {
                t.assignedNanos = now;
            }
            t.replay = Replay.REPLAYING;
        }
        return allFound;
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        TopicState t = topics.get(r.topic());
        if (t.firstNanos < 0) {
            t.firstNanos = System.nanoTime();
        }
        try {
            t.subscription.handler().handle(r);
        } catch (RuntimeException e) {
            long n = handlerFailures.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.errorf("%s: handling record %s failed (%d so far): %s", name, where(r), n, e.toString());
            }
        }
    }

    private void checkReplayed(KafkaConsumer<String, byte[]> c) {
        long total = 0;
        boolean following = true;
        for (TopicState t : topics.values()) {
            if (t.replay != Replay.REPLAYING) {
                following &= t.replay == Replay.REPLAYED;
                continue;
            }
            long lag = 0;
            boolean known = true;
            for (Map.Entry<TopicPartition, Long> target : t.targets.entrySet()) {
                long position = c.position(target.getKey(), Duration.ofSeconds(5));
                if (target.getValue() == UNKNOWN) {
                    // the fetched high watermark, once a fetch response has brought one
                    OptionalLong fetched = c.currentLag(target.getKey());
                    if (fetched.isEmpty()) {
                        known = false;
                        continue;
                    }
                    target.setValue(position + fetched.getAsLong());
                }
                lag += Math.max(0, target.getValue() - position);
            }
            t.lag = known ? lag : -1;
            total += lag;
            if (lag > 0 || !known) {
                following = false;
                continue;
            }
            t.replayedNanos = System.nanoTime();
            LOG.infof("%s: replay of %s complete in %d ms (consumer built after %d ms, partitions assigned after %d ms,"
                    + " first record after %s; %d polls, %d ms in them, %d ms handling records)", name,
                    t.subscription.topic(), millis(t.replayedNanos), millis(consumerNanos), millis(t.assignedNanos),
                    t.firstNanos < 0 ? "none" : millis(t.firstNanos) + " ms", polls,
                    TimeUnit.NANOSECONDS.toMillis(pollNanos), TimeUnit.NANOSECONDS.toMillis(handleNanos));
            if (t.subscription.replayed() != null) {
                try {
                    t.subscription.replayed().run(); // before the flag: whoever sees the flag sees its effect
                } catch (RuntimeException e) {
                    LOG.errorf("%s: the replay signal of %s failed: %s", name, t.subscription.topic(), e.toString());
                }
            }
            t.targets.clear();
            t.replay = Replay.REPLAYED;
        }
        state = following ? "following" : "replaying (" + total + " records to go)";
    }

    private long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos - startNanos);
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c, String topic) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
        if (infos == null) {
            return List.of();
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    /** {@code topic-partition@offset}, to say in a log where a record is. */
    public static String where(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
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

    /** One topic's replay; written on the reader's thread, read by any. */
    private static final class TopicState {
        final Subscription subscription;
        /** Each partition's end as first fetched ({@link #UNKNOWN} before), until the replay is complete (reader's thread only). */
        final Map<TopicPartition, Long> targets = new HashMap<>();
        volatile Replay replay = Replay.STARTING;
        volatile long lag = -1;
        volatile long replayedNanos = -1;
        volatile long firstNanos = -1;
        volatile long assignedNanos = -1;

        TopicState(Subscription subscription) {
            this.subscription = subscription;
        }
    }
}
