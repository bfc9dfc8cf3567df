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

        @Override
        public Submission submit(List<ConsumerRecord<String, byte[]>> records) {
            CompletableFuture<Void> w = new CompletableFuture<>();
            batches.add(List.copyOf(records));
            written.add(w);
            return new Submission(CompletableFuture.completedFuture(null), w);
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
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, "192.0.2.1", ("event " + i).getBytes(StandardCharsets.US_ASCII)));
            }
            p.flush();
        }
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
        Thread.sleep(1_000); // a wrong implementation would have committed by now
        assertNull(committed(), "nothing is committed before its write");

        aggregator.written.get(1).complete(null); // the second batch's write done before the first's
        Thread.sleep(1_000);
        assertNull(committed(), "a batch is never committed past one taken before it that is not written");

        aggregator.written.get(0).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(committed()));
        aggregator.written.get(2).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(3).equals(committed()));
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
        assertEquals("event 1", new String(aggregator.batches.get(2).get(0).value(), StandardCharsets.US_ASCII));
        aggregator.written.get(2).complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(committed()));
    }
}
