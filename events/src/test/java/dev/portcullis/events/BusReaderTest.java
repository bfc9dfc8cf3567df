package dev.portcullis.events;

import dev.portcullis.testkit.KafkaBroker;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bus reader against a real broker: each topic's replay signal, tombstones, a handler that
 * throws, a topic created late and one grown, and a broker that goes away and comes back.
 */
class BusReaderTest {

    /** Records by topic, partition and offset, and how often each was handed over. */
    private static final class Recorder implements BusReader.Handler {
        final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        final Map<String, byte[]> latest = new ConcurrentHashMap<>();
        final AtomicLong handled = new AtomicLong();

        @Override
        public void handle(ConsumerRecord<String, byte[]> r) {
            deliveries.computeIfAbsent(BusReader.where(r), k -> new AtomicInteger()).incrementAndGet();
            if (r.value() == null) {
                latest.remove(r.key());
            } else {
                latest.put(r.key(), r.value());
            }
            handled.incrementAndGet(); // last: whoever sees the count sees the record's effect
        }

        long redelivered() {
            return deliveries.values().stream().filter(n -> n.get() > 1).count();
        }
    }

    @Test
    void eachTopicSignalsItsReplayOnlyOnceEveryRecordThatWasThereIsHandled() {
        KafkaBroker kafka = KafkaBroker.shared();
        String decisions = "decisions-" + UUID.randomUUID();
        String verdicts = "verdicts-" + UUID.randomUUID();
        kafka.createTopic(decisions, 3, true);
        kafka.createTopic(verdicts, 2, true);
        try (KafkaProducer<String, byte[]> p = producer(kafka)) {
            for (int i = 0; i < 3000; i++) {
                p.send(new ProducerRecord<>(decisions, "10.1." + (i / 250) + "." + (i % 250) + "/32", bytes("d" + i)));
            }
            p.send(new ProducerRecord<>(decisions, "10.1.0.0/32", null)); // a tombstone: delivered as a null value
            for (int i = 0; i < 500; i++) {
                p.send(new ProducerRecord<>(verdicts, "192.0.2." + (i % 250), bytes("v" + i)));
            }
            p.flush();
        }
        Recorder d = new Recorder();
        Recorder v = new Recorder();
        AtomicLong dAtSignal = new AtomicLong(-1);
        AtomicLong vAtSignal = new AtomicLong(-1);
        AtomicInteger signals = new AtomicInteger();
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()), List.of(
                new BusReader.Subscription(decisions, r -> {
                    if ("10.1.3.3/32".equals(r.key())) {
                        throw new IllegalStateException("a handler that throws for one record");
                    }
                    d.handle(r);
                }, () -> {
                    dAtSignal.set(d.handled.get());
                    signals.incrementAndGet();
                }),
                new BusReader.Subscription(verdicts, v, () -> vAtSignal.set(v.handled.get()))))) {
            reader.start();
            await(() -> reader.isReplayed(decisions) && reader.isReplayed(verdicts), "both replays complete");
            assertEquals(3000, dAtSignal.get(), "3001 records, one of them thrown on");
            assertEquals(500, vAtSignal.get());
            assertEquals(1, reader.handlerFailures());
            assertEquals(0, reader.replayLag(decisions));
            assertTrue(reader.replayMillis(decisions) >= 0);
            assertNull(d.latest.get("10.1.0.0/32"), "the tombstone came after its record");
            assertEquals(3000 - 2, d.latest.size(), "one thrown on, one lifted");
            assertEquals(250, v.latest.size());
            await(() -> reader.state().equals("following"), "following");

            try (KafkaProducer<String, byte[]> p = producer(kafka)) {
                p.send(new ProducerRecord<>(decisions, "192.0.2.1/32", bytes("new")));
                p.send(new ProducerRecord<>(verdicts, "192.0.2.1", null));
                p.flush();
            }
            await(() -> d.latest.containsKey("192.0.2.1/32") && !v.latest.containsKey("192.0.2.1"), "changes followed");
            assertEquals(1, signals.get(), "the replay is signalled once");
            assertEquals(0, d.redelivered() + v.redelivered());
        }
    }

    /**
     * The end of a replay is each partition's high watermark from its first fetch response:
     * with fetches far smaller than the topic the replay takes dozens of them, and the signal
     * must still wait for the last record that was there (not the end of the first fetch); a
     * topic with no records at all is replayed as soon as its first (empty) fetch answers.
     */
    @Test
    void aReplayInManySmallFetchesEndsAtTheLastRecordAndAnEmptyTopicIsReplayedAtOnce() {
        KafkaBroker kafka = KafkaBroker.shared();
        String decisions = "decisions-" + UUID.randomUUID();
        String empty = "verdicts-" + UUID.randomUUID();
        kafka.createTopic(decisions, 3, true);
        kafka.createTopic(empty, 2, true);
        int records = 3000;
        try (KafkaProducer<String, byte[]> p = producer(kafka)) {
            for (int i = 0; i < records; i++) {
                p.send(new ProducerRecord<>(decisions, "10.2." + (i / 250) + "." + (i % 250) + "/32",
                        bytes("decision number " + i + " with some text to make the fetches many")));
            }
            p.flush();
        }
        Recorder d = new Recorder();
        Recorder e = new Recorder();
        AtomicLong dAtSignal = new AtomicLong(-1);
        AtomicLong eAtSignal = new AtomicLong(-1);
        // 2 KiB per fetch: about 30 records each, a hundred fetches for the topic
        Map<String, Object> small = Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "max.partition.fetch.bytes", 2048, "fetch.max.bytes", 2048);
        try (BusReader reader = new BusReader("test", small, List.of(
                new BusReader.Subscription(decisions, d, () -> dAtSignal.set(d.handled.get())),
                new BusReader.Subscription(empty, e, () -> eAtSignal.set(e.handled.get()))))) {
            reader.start();
            await(() -> reader.isReplayed(empty), "the empty topic replayed");
            assertEquals(0, eAtSignal.get());
            await(() -> reader.isReplayed(decisions), "the replay complete");
            assertEquals(records, dAtSignal.get(), "signalled once every record that was there was handled");
            assertEquals(0, reader.replayLag(decisions));
            assertEquals(0, d.redelivered());
        }
    }

    @Test
    void aMissingTopicIsWaitedForAndReadOnceCreatedAndAGrownTopicsNewPartitionIsRead() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String empty = "empty-" + UUID.randomUUID();
        String late = "late-" + UUID.randomUUID();
        kafka.createTopic(empty, 1, true);
        Recorder e = new Recorder();
        Recorder l = new Recorder();
        AtomicInteger lateSignals = new AtomicInteger();
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()), List.of(
                new BusReader.Subscription(empty, e, null),
                new BusReader.Subscription(late, l, lateSignals::incrementAndGet)), Duration.ofSeconds(2))) {
            reader.start();
            await(() -> reader.isReplayed(empty), "an empty topic is replayed at once");
            await(() -> reader.replay(late) == BusReader.Replay.NO_TOPIC, "the missing topic is seen missing");
            assertFalse(reader.isReplayed(late), "no topic: no replay");
            assertEquals(-1, reader.replayMillis(late));

            kafka.createTopic(late, 1, true);
            try (KafkaProducer<String, byte[]> p = producer(kafka)) {
                p.send(new ProducerRecord<>(late, "a", bytes("1"))).get(30, TimeUnit.SECONDS);
            }
            await(() -> reader.isReplayed(late) && l.latest.containsKey("a"), "the late topic read");
            assertEquals(1, lateSignals.get());

            try (var admin = kafka.admin()) {
                admin.createPartitions(Map.of(empty, NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, byte[]> p = producer(kafka)) {
                p.send(new ProducerRecord<>(empty, 1, "on-the-new-partition", bytes("x"))).get(30, TimeUnit.SECONDS);
            }
            // partitions are listed again every refresh (here 2 s) once every topic has some
            await(() -> e.latest.containsKey("on-the-new-partition"), "the grown topic's new partition read");
        }
    }

    /** The reader seeks to offset 0; a log that no longer starts there (records deleted) is read from its start. */
    @Test
    void aLogThatNoLongerStartsAtZeroIsReadFromItsStart() throws Exception {
        KafkaBroker kafka = KafkaBroker.shared();
        String topic = "trimmed-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, false);
        try (KafkaProducer<String, byte[]> p = producer(kafka)) {
            for (int i = 0; i < 20; i++) {
                p.send(new ProducerRecord<>(topic, "k" + i, bytes("v" + i)));
            }
            p.flush();
        }
        try (var admin = kafka.admin()) {
            admin.deleteRecords(Map.of(new org.apache.kafka.common.TopicPartition(topic, 0),
                    org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(12))).all().get(30, TimeUnit.SECONDS);
        }
        Recorder r = new Recorder();
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                List.of(new BusReader.Subscription(topic, r, null)))) {
            reader.start();
            await(() -> reader.isReplayed(topic), "replayed");
            assertEquals(8, r.handled.get());
            assertTrue(r.latest.containsKey("k12") && !r.latest.containsKey("k11"), r.latest.keySet().toString());
        }
    }

    /**
     * The regression test of the re-read bug: a consumer group that committed nothing went back to the
     * earliest offset when the broker came back (a rebalance), and new records waited behind a replay
     * of the whole topic. The reader has no group: after the restart only the new records arrive.
     */
    @Test
    void afterABrokerRestartOnlyNewRecordsAreDeliveredNothingIsReadAgain() throws Exception {
        try (KafkaBroker kafka = KafkaBroker.create().start()) {
            String topic = "verdicts-" + UUID.randomUUID();
            kafka.createTopic(topic, 3, true);
            try (KafkaProducer<String, byte[]> p = producer(kafka)) {
                for (int i = 0; i < 2000; i++) {
                    p.send(new ProducerRecord<>(topic, "192.0.2." + i, bytes("before")));
                }
                p.flush();
            }
            Recorder r = new Recorder();
            try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    List.of(new BusReader.Subscription(topic, r, null)))) {
                reader.start();
                await(() -> reader.isReplayed(topic), "replayed");
                assertEquals(2000, r.handled.get());

                kafka.stop();
                kafka.restart();
                try (KafkaProducer<String, byte[]> p = producer(kafka)) {
                    for (int i = 0; i < 10; i++) {
                        p.send(new ProducerRecord<>(topic, "198.51.100." + i, bytes("after")));
                    }
                    p.flush();
                }
                await(() -> r.handled.get() >= 2010, "the new records after the restart", Duration.ofSeconds(90));
                // anything read again would have arrived with (or before) the new ones, in offset order
                assertEquals(2010, r.handled.get(), "nothing read again from the beginning");
                assertEquals(0, r.redelivered());
                assertTrue(reader.isAlive());
            }
        }
    }

    private static KafkaProducer<String, byte[]> producer(KafkaBroker kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier c, String what) {
        await(c, what, Duration.ofSeconds(60));
    }

    private static void await(BooleanSupplier c, String what, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
