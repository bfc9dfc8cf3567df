package dev.portcullis.reputation.ingest;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Consumes {@code portcullis.events} as the consumer group {@code portcullis-reputation}, on a
 * thread of its own with a plain {@link KafkaConsumer}, and hands every poll to the
 * {@link Aggregator} whole.
 *
 * <p>Why not a SmallRye Reactive Messaging channel: in batch mode the connector still wraps
 * every record in a message with its own metadata and context, on the event loop; in a JFR
 * profile of {@code bench/run-reputation.sh} that wrapping and the hand-over to the event loop
 * took about a third of the service's CPU while ingesting, more than counting the events.
 * Records need no wrapping here: the aggregator takes the {@link ConsumerRecord}s as they come.
 *
 * <p>Offsets: a batch's offsets are committed only once the aggregator has written its counts
 * to the grid ({@link Aggregator.Submission#written()}), in the order the batches were polled, so
 * the committed position never runs ahead of what is stored. After a crash the batches not yet
 * committed come again, and the aggregator skips what it had applied. While the aggregator is
 * behind (the grid is slow or away) the consumer pauses its partitions and keeps polling, so it
 * stays in the group and events wait in Kafka.
 *
 * <p>Rebalances: before partitions go (and before the consumer closes) every batch taken is
 * applied, written and committed, and the aggregator drops its in-memory states, so the new
 * owner reads the current ones from the grid ({@link Aggregator#rebalanced}).
 *
 * <p>Settings: {@code kafka.*} as every Quarkus Kafka client reads them (security included), then
 * any Kafka consumer setting under {@code portcullis.reputation.events.} (environment
 * {@code PORTCULLIS_REPUTATION_EVENTS_…}), e.g. {@code group.id}, {@code max.poll.records},
 * {@code session.timeout.ms}; {@code portcullis.reputation.events.topic} names the topic.
 */
@ApplicationScoped
public class EventIngest {

    private static final Logger LOG = Logger.getLogger(EventIngest.class);
    static final String PREFIX = "portcullis.reputation.events.";
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(2);

    @Inject
    Aggregator aggregator;
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;
    @Inject
    Config config;

    private volatile boolean running;
    private volatile String state = "starting";
    /** Turns of the consumer loop, each with a poll (tests wait on it instead of on the clock). */
    private final java.util.concurrent.atomic.AtomicLong turns = new java.util.concurrent.atomic.AtomicLong();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private String topic;
    /** Batches taken, oldest first, until their offsets are committed (consumer thread only). */
    private final Deque<Taken> taken = new ArrayDeque<>();

    private record Taken(Aggregator.Submission submission, Map<TopicPartition, OffsetAndMetadata> next) {
        CompletableFuture<Void> written() {
            return submission.written().toCompletableFuture();
        }
    }

    void start(@Observes StartupEvent ev) {
        topic = config.getOptionalValue(PREFIX + "topic", String.class).orElse(dev.portcullis.events.Topics.EVENTS);
        Map<String, Object> props = properties();
        running = true;
        thread = new Thread(() -> run(props), "reputation-events-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops before the aggregator does, so the last batches are written and committed. */
    void stop(@Observes @Priority(1000) ShutdownEvent ev) {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(40_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The consumer's settings: Quarkus' {@code kafka.*}, this channel's own, and what this class relies on. */
    Map<String, Object> properties() {
        Map<String, Object> p = new HashMap<>(kafka);
        for (String name : ConsumerConfig.configNames()) {
            config.getOptionalValue(PREFIX + name, String.class).ifPresent(v -> p.put(name, v));
        }
        p.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, "portcullis-reputation");
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        p.putIfAbsent(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // committed after the grid write, never before
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "portcullis-reputation-events");
        return p;
    }

    long turns() {
        return turns.get();
    }

    /** What the consumer is doing, for the health data: consuming, paused (grid behind), restarting, stopped. */
    public String state() {
        Thread t = thread;
        return t != null && !t.isAlive() && running ? "dead (see the log)" : state;
    }

    private void run(Map<String, Object> props) {
        try {
            runConsumers(props);
        } catch (Error e) {
            LOG.errorf(e, "events consumer stopped");
            throw e;
        } finally {
            state = "stopped";
        }
    }

    private void runConsumers(Map<String, Object> props) {
        while (running) {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
                consumer = c;
                c.subscribe(List.of(topic), new Handover(c));
                consume(c);
            } catch (WakeupException e) {
                // stopping: close() above has handed the partitions over
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                // A failure the consumer cannot go on from (a batch that could not be written, an
                // error from the client): a new consumer starts from the last committed offsets.
                LOG.warnf("events consumer restarting: %s", e.toString());
                state = "restarting: " + e.getMessage();
                pause(RETRY);
            } finally {
                consumer = null;
                taken.clear();
            }
        }
    }

    private void consume(KafkaConsumer<String, byte[]> c) {
        Aggregator.Submission last = null;
        boolean paused = false;
        while (running) {
            turns.incrementAndGet();
            commitWritten(c, false);
            if (last != null && !accepted(last)) {
                // The aggregator is behind: take nothing more, but keep polling to stay in the group.
                // Paused every time: partitions a rebalance (inside poll) assigns come unpaused.
                c.pause(c.assignment());
                if (!paused) {
                    paused = true;
                    state = "paused: the aggregator is behind (grid slow or away)";
                }
                ConsumerRecords<String, byte[]> fetched = c.poll(Duration.ZERO);
                if (!fetched.isEmpty()) {
                    // Fetched for a partition assigned before the pause reached it: its position has
                    // moved past them, so they are taken like any batch, never dropped.
                    last = take(fetched);
                }
                continue;
            }
            if (paused) {
                c.resume(c.paused());
                paused = false;
            }
            state = "consuming";
            ConsumerRecords<String, byte[]> records = c.poll(POLL);
            if (!records.isEmpty()) {
                last = take(records);
            }
        }
    }

    /** Hands a poll's records to the aggregator and remembers the offsets to commit once written. */
    private Aggregator.Submission take(ConsumerRecords<String, byte[]> records) {
        List<ConsumerRecord<String, byte[]>> list = new ArrayList<>(records.count());
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            list.add(r);
            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        Aggregator.Submission s = aggregator.submit(list);
        taken.add(new Taken(s, next));
        return s;
    }

    /** Waits a little for the aggregator to take the batch; false if it is still busy. */
    private static boolean accepted(Aggregator.Submission s) {
        try {
            s.accepted().toCompletableFuture().get(200, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        } catch (ExecutionException e) {
            throw new IllegalStateException("a batch was not taken: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Commits the offsets of the batches written so far, oldest first, stopping at the first one
     * not written yet; {@code sync} on a hand-over. A batch that failed ends this consumer: the
     * batches after it must not be committed past it.
     */
    private void commitWritten(KafkaConsumer<String, byte[]> c, boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        while (!taken.isEmpty() && taken.peekFirst().written().isDone()) {
            Taken t = taken.peekFirst();
            if (t.written().isCompletedExceptionally()) {
                throw new IllegalStateException("a batch was not written to the grid; reading again from the last commit");
            }
            commit.putAll(t.next);
            taken.removeFirst();
        }
        if (commit.isEmpty()) {
            return;
        }
        if (sync) {
            c.commitSync(commit);
        } else {
            c.commitAsync(commit, (offsets, e) -> {
                if (e != null) {
                    LOG.debugf("offset commit failed (the next one covers it): %s", e.toString());
                }
            });
        }
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Hands counts over when the group moves partitions (called on the consumer thread, inside
     * poll or close): everything taken is applied, written and committed before the partitions
     * go, then the aggregator drops what it holds, so that a partition's new owner - here or
     * elsewhere - reads the current states rather than a stale copy. Also records the topic's
     * partition count, which readers need to sum a network's per-partition shards.
     */
    private final class Handover implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, byte[]> c;

        Handover(KafkaConsumer<String, byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            LOG.infof("partitions revoked: %s", partitions);
            aggregator.rebalanced(0); // waits until every batch taken is applied and written
            try {
                commitWritten(c, true);
            } catch (RuntimeException e) {
                LOG.warnf("offsets not committed at the hand-over (replayed by the next owner): %s", e.toString());
            }
            taken.clear();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            int count = 0;
            try {
                count = c.partitionsFor(topic).size();
            } catch (RuntimeException e) {
                LOG.debugf("partition count unknown: %s", e.toString());
            }
            LOG.infof("partitions assigned: %s (topic has %d)", partitions, count);
            aggregator.rebalanced(count);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // Another owner may have them already: nothing of ours may be committed for them.
            aggregator.rebalanced(0);
            taken.clear();
        }
    }
}
