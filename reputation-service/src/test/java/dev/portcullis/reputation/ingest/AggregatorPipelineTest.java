package dev.portcullis.reputation.ingest;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.config.ReputationSettingsLoader;
import dev.portcullis.reputation.counts.ClientStateCodec;
import dev.portcullis.reputation.counts.Counter;
import dev.portcullis.reputation.store.StateStore;
import dev.portcullis.reputation.verdict.VerdictPublisher;
import io.smallrye.config.SmallRyeConfigBuilder;
import jakarta.enterprise.inject.Vetoed;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The aggregator's two stages (decode, then apply and write) with an in-memory grid whose
 * writes the test holds back: the next batch is decoded while a write is in flight, but no
 * batch is acknowledged before its own write, writes stay in order, and a hand-over waits for
 * every batch submitted before it. One class under test, so the grid is a stand-in here; the
 * Quarkus tests run the same code against a real broker and a real Infinispan.
 */
class AggregatorPipelineTest {

    private static final Instant NOW = Instant.parse("2026-11-22T03:00:00Z");
    private static final long WAIT = 20;

    /** A grid in memory that records every write of client states and can hold them back. */
    @Vetoed // not a bean of the Quarkus tests beside this one
    static final class HeldStore extends StateStore {
        final Map<String, byte[]> data = new ConcurrentHashMap<>();
        final List<Map<String, byte[]>> clientWrites = Collections.synchronizedList(new ArrayList<>());
        final List<String> writes = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public Map<String, byte[]> getAll(Set<String> keys) {
            Map<String, byte[]> out = new java.util.HashMap<>();
            keys.forEach(k -> {
                byte[] v = data.get(k);
                if (v != null) {
                    out.put(k, v);
                }
            });
            return out;
        }

        @Override
        public CompletableFuture<Map<String, byte[]>> getAllAsync(Set<String> keys) {
            return CompletableFuture.supplyAsync(() -> getAll(keys));
        }

        @Override
        public CompletableFuture<Void> putAllAsync(Map<String, byte[]> values, Duration lifespan) {
            return CompletableFuture.runAsync(() -> putAll(values, lifespan));
        }

        @Override
        public void putAll(Map<String, byte[]> values, Duration lifespan) {
            boolean clients = values.keySet().stream().anyMatch(k -> k.startsWith("ip:"));
            if (clients) {
                try {
                    assertTrue(gate.await(60, TimeUnit.SECONDS), "the test never released the write");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                clientWrites.add(Map.copyOf(values));
            }
            writes.add(clients ? "clients" : String.join(",", new java.util.TreeSet<>(values.keySet())));
            data.putAll(values);
        }
    }

    /** Takes every verdict (these tests are about ingest; VerdictsTest sends them to a real broker). */
    @Vetoed
    static final class Accepting extends VerdictPublisher {
        @Override
        public boolean publish(String subject, List<Verdict.Entry> entries, long nowMillis) {
            return true;
        }
    }

    private Aggregator aggregator;
    private HeldStore store;
    private ClientStateCodec codec;

    @BeforeEach
    void start() {
        start("100000");
    }

    /** A fresh aggregator (and grid) with {@code portcullis.reputation.max-unwritten} set. */
    private void restart(String maxUnwritten) {
        aggregator.onStop(null);
        start(maxUnwritten);
    }

    private void start(String maxUnwritten) {
        aggregator = new Aggregator();
        aggregator.settings = ReputationSettingsLoader.load(new SmallRyeConfigBuilder()
                .withDefaultValue("portcullis.main-cf", "src/test/resources/test-main.cf")
                .withDefaultValue("portcullis.reputation.max-unwritten", maxUnwritten).build());
        codec = new ClientStateCodec(aggregator.settings.windows());
        aggregator.codec = codec;
        store = new HeldStore();
        aggregator.store = store;
        aggregator.publisher = new Accepting();
        aggregator.clock = Clock.fixed(NOW, ZoneOffset.UTC);
        aggregator.init();
    }

    @AfterEach
    void stop() {
        store.gate = new CountDownLatch(0);
        aggregator.onStop(null);
    }

    private static ConsumerRecord<String, byte[]> connect(String ip, long offset, Instant at) {
        SessionEvent e = new SessionEvent.Connect(new EventMeta(SessionEvent.SCHEMA, "e" + offset, at, "edge-a",
                "s" + offset, ip), 40000, "127.0.0.1:25");
        return new ConsumerRecord<>(Topics.EVENTS, 0, offset, ip, EventCodec.encode(e));
    }

    private static ConsumerRecord<String, byte[]> raw(String ip, long offset, String json) {
        return new ConsumerRecord<>(Topics.EVENTS, 0, offset, ip, json.getBytes(StandardCharsets.UTF_8));
    }

    private long connections(Map<String, byte[]> write, String ip) {
        return codec.decode(write.get("ip:" + ip)).window(0).sum(Counter.CONNECTIONS, 0);
    }

    @Test
    void batchesAppliedDuringAWriteShareTheNextWriteAndNoneIsAcknowledgedBeforeIt() throws Exception {
        store.gate = new CountDownLatch(1);
        Aggregator.Submission first = aggregator.submit(List.of(connect("198.51.100.1", 0, NOW),
                connect("198.51.100.1", 1, NOW), connect("198.51.100.1", 2, NOW)));
        first.accepted().toCompletableFuture().get(WAIT, TimeUnit.SECONDS); // decoded and queued
        Aggregator.Submission second = aggregator.submit(List.of(raw("198.51.100.1", 3, "not an event"),
                connect("198.51.100.1", 4, NOW), connect("198.51.100.1", 5, NOW)));

        // the second batch is decoded (its unreadable record counted) and applied while the first one's write is held
        await().atMost(Duration.ofSeconds(WAIT)).until(() -> aggregator.unreadable() == 1 && aggregator.applied() == 5);
        second.accepted().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        Aggregator.Submission third = aggregator.submit(List.of(connect("198.51.100.1", 6, NOW),
                connect("198.51.100.1", 7, NOW), connect("198.51.100.9", 8, NOW)));
        // the aggregator does not wait for the grid: the third batch is applied behind the held write,
        // and the next may be taken (only the batch two before it must have been applied)
        await().atMost(Duration.ofSeconds(WAIT)).until(() -> aggregator.applied() == 8);
        third.accepted().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertFalse(first.written().toCompletableFuture().isDone(), "acknowledged before its write");
        assertFalse(second.written().toCompletableFuture().isDone());
        assertFalse(third.written().toCompletableFuture().isDone());
        assertEquals(0, store.clientWrites.size(), "the next write starts only after the one in flight");
        assertEquals(1, aggregator.writes());

        store.gate.countDown();
        third.written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertTrue(first.written().toCompletableFuture().isDone());
        assertTrue(second.written().toCompletableFuture().isDone());

        assertEquals(2, store.clientWrites.size(), "the batches that waited went in one write: " + store.writes);
        assertEquals(2, aggregator.writes());
        assertEquals(3, connections(store.clientWrites.get(0), "198.51.100.1"), "the first write holds the first batch");
        assertEquals(7, connections(store.clientWrites.get(1), "198.51.100.1"), "the second holds both batches after it");
        assertEquals(1, connections(store.clientWrites.get(1), "198.51.100.9"));
        assertEquals(8, aggregator.applied());
        assertEquals(0, aggregator.duplicates());
    }

    @Test
    void pastMaxUnwrittenTheAggregatorWaitsForTheGridAndTheConsumerWithIt() throws Exception {
        restart("2");
        store.gate = new CountDownLatch(1);
        Aggregator.Submission first = aggregator.submit(List.of(connect("198.51.100.1", 0, NOW)));
        await().atMost(Duration.ofSeconds(WAIT)).until(() -> aggregator.applied() == 1);
        // two new clients: four states (two ip:, two net: shards) wait for the held write, more than 2
        Aggregator.Submission second = aggregator.submit(List.of(connect("198.51.100.2", 1, NOW),
                connect("192.0.2.3", 2, NOW)));
        await().atMost(Duration.ofSeconds(WAIT)).until(() -> aggregator.applied() == 3);
        Aggregator.Submission third = aggregator.submit(List.of(connect("198.51.100.4", 3, NOW)));
        Aggregator.Submission fourth = aggregator.submit(List.of(connect("198.51.100.5", 4, NOW)));
        Thread.sleep(300); // give a wrong implementation the chance to go on
        assertEquals(3, aggregator.applied(), "the third batch is applied only once the grid has caught up");
        assertFalse(fourth.accepted().toCompletableFuture().isDone(), "no more batches taken while the grid is behind");

        store.gate.countDown();
        fourth.written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertTrue(first.written().toCompletableFuture().isDone() && second.written().toCompletableFuture().isDone()
                && third.written().toCompletableFuture().isDone());
        assertEquals(5, aggregator.applied());
    }

    @Test
    void aStateNotHeldIsReadAheadWhileItsBatchIsDecodedAndCountsGoOnFromIt() throws Exception {
        aggregator.submit(List.of(connect("198.51.100.6", 50, NOW), connect("198.51.100.6", 51, NOW)))
                .written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        aggregator.rebalanced(6); // states dropped: the next batch must find them in the grid
        assertEquals(0, aggregator.tracked());
        long before = aggregator.prefetched();
        aggregator.submit(List.of(connect("198.51.100.6", 52, NOW)))
                .written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertTrue(aggregator.prefetched() > before, "read ahead, not by the aggregator");
        assertEquals(3, connections(store.clientWrites.get(store.clientWrites.size() - 1), "198.51.100.6"),
                "counts carried on from the grid's state");
    }

    @Test
    void aLargeBatchDecodedInPartsIsAppliedInOrder() throws Exception {
        // offsets rise through the batch; an event applied out of order would be taken for a replay
        List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            String ip = "203.0.113." + (i % 3);
            batch.add(i % 250 == 7 ? raw(ip, 100 + i, "{\"kind\":\"CONNECT\"") : connect(ip, 100 + i, NOW));
        }
        aggregator.submit(batch).written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertEquals(8, aggregator.unreadable());
        assertEquals(1_992, aggregator.applied());
        assertEquals(0, aggregator.duplicates(), "every event in order, none taken for a replay");
        long total = 0;
        for (int k = 0; k < 3; k++) {
            total += connections(store.clientWrites.get(0), "203.0.113." + k);
        }
        assertEquals(1_992, total);
    }

    @Test
    void aReplayedBatchIsSkippedPerAddress() throws Exception {
        List<ConsumerRecord<String, byte[]>> batch = List.of(connect("198.51.100.2", 10, NOW),
                connect("2001:DB8::7", 11, NOW), connect("::ffff:198.51.100.2", 12, NOW));
        aggregator.submit(batch).written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        aggregator.submit(batch).written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertEquals(3, aggregator.applied());
        assertEquals(3, aggregator.duplicates());
        Map<String, byte[]> last = store.clientWrites.get(0);
        assertEquals(2, connections(last, "198.51.100.2"), "an IPv4-mapped address is the IPv4 client");
        assertEquals(1, connections(last, "2001:db8::7"), "IPv6 in canonical text");
        assertTrue(store.data.containsKey("net:198.51.100.0/24#0"));
        assertTrue(store.data.containsKey("net:2001:db8::/64#0"));
    }

    @Test
    void aHandOverWaitsForEveryBatchSubmittedBeforeIt() throws Exception {
        store.gate = new CountDownLatch(1);
        Aggregator.Submission held = aggregator.submit(List.of(connect("198.51.100.3", 20, NOW)));
        CompletableFuture<Void> handOver = CompletableFuture.runAsync(() -> aggregator.rebalanced(6));
        Thread.sleep(300); // give a wrong implementation the chance to hand over early
        assertFalse(handOver.isDone(), "handed over while a batch was still being written");
        store.gate.countDown();
        handOver.get(WAIT, TimeUnit.SECONDS);
        assertTrue(held.written().toCompletableFuture().isDone());
        int clients = store.writes.indexOf("clients");
        int meta = store.writes.indexOf("meta:partitions");
        assertTrue(clients >= 0 && meta > clients, "the batch's write comes before the hand-over: " + store.writes);
        assertEquals(0, aggregator.tracked(), "states are dropped at the hand-over, to be read back from the grid");
    }

    @Test
    void timesBeyondWhatMillisecondsHoldAreNotPoison() throws Exception {
        String meta = ",\"edgeId\":\"e\",\"sessionId\":\"s\",\"clientIp\":\"198.51.100.4\"}";
        aggregator.submit(List.of(
                raw("198.51.100.4", 30, "{\"kind\":\"CONNECT\",\"clientPort\":1,\"meta\":{\"schema\":1,\"id\":\"a\","
                        + "\"time\":\"-1000000000-01-01T00:00:00Z\"" + meta + "}"),
                raw("198.51.100.4", 31, "{\"kind\":\"CONNECT\",\"clientPort\":1,\"meta\":{\"schema\":1,\"id\":\"b\","
                        + "\"time\":\"+1000000000-12-31T23:59:59Z\"" + meta + "}"),
                connect("198.51.100.4", 32, NOW.minusSeconds(5))))
                .written().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
        assertEquals(1, aggregator.unreadable(), "the far past cannot be counted: skipped and counted");
        assertEquals(2, aggregator.applied(), "the far future counts as now, like any time ahead of the clock");
        assertEquals(2, connections(store.clientWrites.get(0), "198.51.100.4"));
    }

    @Test
    void aBatchSubmittedAfterShutdownIsNeverAcknowledged() {
        aggregator.onStop(null);
        Aggregator.Submission late = aggregator.submit(List.of(connect("198.51.100.5", 40, NOW)));
        assertTrue(late.written().toCompletableFuture().isCompletedExceptionally());
        assertTrue(late.accepted().toCompletableFuture().isCompletedExceptionally());
    }
}
