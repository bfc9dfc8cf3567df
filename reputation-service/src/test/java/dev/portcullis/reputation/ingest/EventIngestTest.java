package dev.portcullis.reputation.ingest;

import dev.portcullis.testkit.KafkaBroker;
import io.smallrye.config.SmallRyeConfigBuilder;
import jakarta.enterprise.inject.Vetoed;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The service's own consumer against a real broker, with an aggregator whose writes the test
 * completes: offsets are committed only for batches written, in the order they were taken, and
 * a batch that could not be written is read again, never skipped.
 */
class EventIngestTest {

    /** Takes batches and lets the test decide when each is written. */
    @Vetoed
    static final class HeldAggregator extends Aggregator {
        final List<List<ConsumerRecord<String, byte[]>>> batches = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> written = new CopyOnWriteArrayList<>();
        /** When set, the first batch is not taken until the test completes this (the aggregator is behind). */
        volatile CompletableFuture<Void> firstAccepted;

        @Override
        public Submission submit(List<ConsumerRecord<String, byte[]>> records) {
            CompletableFuture<Void> w = new CompletableFuture<>();
            batches.add(List.copyOf(records));
            written.add(w);
            CompletableFuture<Void> accepted = batches.size() == 1 && firstAccepted != null
                    ? firstAccepted : CompletableFuture.completedFuture(null);
            return new Submission(accepted, w);
        }

        @Override
        public void rebalanced(int partitionCount) {
        }
    }

    private final String topic = "events-ingest-" + UUID.randomUUID();
    private final String group = "ingest-test-" + UUID.randomUUID();
    private KafkaBroker broker;
    private HeldAggregator aggregator;
    private EventIngest ingest;

    @BeforeEach
    void start() {
        broker = KafkaBroker.shared();
        broker.createTopic(topic, 1, false);
        aggregator = new HeldAggregator();
        ingest = new EventIngest();
        ingest.aggregator = aggregator;
        ingest.kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
        ingest.config = new SmallRyeConfigBuilder()
                .withDefaultValue(EventIngest.PREFIX + "topic", topic)
                .withDefaultValue(EventIngest.PREFIX + "group.id", group)
                .withDefaultValue(EventIngest.PREFIX + "max.poll.records", "1") // one record a batch
                .build();
    }

    @AfterEach
    void stop() {
        aggregator.written.forEach(w -> w.complete(null));
        ingest.stop(null);
    }

    private void produce(int n) {
        produce(topic, 0, n);
    }

    private void produce(String to, int partition, int n) {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(to, partition, "192.0.2.1",
                        ("p" + partition + " event " + i).getBytes(StandardCharsets.US_ASCII)));
            }
            p.flush();
        }
    }

    /** Waits until the consumer loop has gone round {@code n} more times. */
    private void awaitTurns(int n) {
        long from = ingest.turns();
        await().atMost(Duration.ofSeconds(30)).until(() -> ingest.turns() >= from + n);
    }

    private Long committed() throws Exception {
        try (Admin admin = broker.admin()) {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(topic, 0));
            return o == null ? null : o.offset();
        }
    }

    @Test
    void offsetsAreCommittedOnlyForWrittenBatchesInTheOrderTaken() throws Exception {
        produce(3);
        ingest.start(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregator.batches.size() == 3);
        awaitTurns(3); // the loop has committed what it could, three times over
        assertNull(committed(), "nothing is committed before its write");

        aggregator.written.get(1).complete(null); // the second batch's write done before the first's
        awaitTurns(3);
        assertNull(committed(), "a batch is never committed past one taken before it that is not written");

        aggregator.written.get(0).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(committed()));
        aggregator.written.get(2).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(3).equals(committed()));
    }

    @Test
    void aRebalanceWhileTheAggregatorIsBehindLosesNoRecord() throws Exception {
        String two = topic + "-two";
        broker.createTopic(two, 2, false);
        ingest.config = new SmallRyeConfigBuilder()
                .withDefaultValue(EventIngest.PREFIX + "topic", two)
                .withDefaultValue(EventIngest.PREFIX + "group.id", group)
                .withDefaultValue(EventIngest.PREFIX + "max.poll.records", "1")
                .withDefaultValue(EventIngest.PREFIX + "session.timeout.ms", "6000")
                .withDefaultValue(EventIngest.PREFIX + "heartbeat.interval.ms", "500")
                .build();
        aggregator.firstAccepted = new CompletableFuture<>();
        produce(two, 0, 5);
        produce(two, 1, 5);
        ingest.start(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregator.batches.size() == 1); // now paused
        // Another member joins and leaves the group: two rebalances while the consumer is paused,
        // and partitions come back assigned, unpaused, to a consumer that must not take or drop them.
        try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> other =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                             "bootstrap.servers", broker.bootstrapServers(), "group.id", group,
                             "enable.auto.commit", "false", "auto.offset.reset", "earliest",
                             "key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName(),
                             "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName()))) {
            other.subscribe(List.of(two));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (other.assignment().isEmpty() && System.nanoTime() < until) {
                other.poll(Duration.ofMillis(200)); // what it reads it does not commit: it comes again to the ingest
            }
        }
        awaitTurns(10); // the ingest rejoins and polls while still paused (about 200 ms a turn)
        aggregator.firstAccepted.complete(null);
        aggregator.written.forEach(w -> w.complete(null));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            aggregator.written.forEach(w -> w.complete(null));
            java.util.Set<String> seen = new java.util.HashSet<>();
            aggregator.batches.forEach(b -> b.forEach(r -> seen.add(new String(r.value(), StandardCharsets.US_ASCII))));
            return seen.size() == 10;
        });
    }

    @Test
    void aBatchThatCouldNotBeWrittenIsReadAgain() throws Exception {
        produce(2);
        ingest.start(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregator.batches.size() == 2);
        aggregator.written.get(0).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(1).equals(committed()));

        aggregator.written.get(1).completeExceptionally(new IllegalStateException("the grid said no"));
        // a new consumer starts from the last commit: the second record comes again
        await().atMost(Duration.ofSeconds(60)).until(() -> aggregator.batches.size() >= 3);
        assertEquals("p0 event 1", new String(aggregator.batches.get(2).get(0).value(), StandardCharsets.US_ASCII));
        aggregator.written.get(2).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(committed()));
    }
}
