package dev.portcullis.agent;

import dev.portcullis.events.BusReader;
import dev.portcullis.testkit.KafkaBroker;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static dev.portcullis.agent.TestDecisions.ban;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live set fed by events' shared {@link BusReader} from a real broker: ready only once every record
 * already there is read, records it cannot read skipped and counted, a missing topic waited for (the
 * reader itself: events' BusReaderTest).
 */
class LiveSetBusTest {

    private final KafkaBroker kafka = KafkaBroker.shared();

    @Test
    void replayIsCompleteOnlyOnceEveryRecordThatWasThereIsRead() {
        String topic = "decisions-" + UUID.randomUUID();
        kafka.createTopic(topic, 3, true);
        int n = 3000;
        try (DecisionProducer p = new DecisionProducer(kafka.bootstrapServers(), topic)) {
            for (int i = 0; i < n; i++) {
                p.send(ban("10.1." + (i / 250) + "." + (i % 250) + "/32", null));
            }
            p.flush();
        }
        LiveSet live = new LiveSet(Clock.systemUTC(), 100_000, 1000);
        AtomicLong seenAtReplay = new AtomicLong(-1);
        live.addListener(new LiveSet.Listener() {
            @Override
            public void changed(String cidr) {
            }

            @Override
            public void replayed() {
                seenAtReplay.set(live.decisionsRead());
            }
        });
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                live.subscriptions(topic, null))) {
            reader.start();
            await(() -> reader.isReplayed(topic), "replay complete");
            assertEquals(n, seenAtReplay.get(), "replayed() came after the last of the records already there");
            assertEquals(n, live.decisions().size());
            assertEquals(0, reader.replayLag(topic));
            try (DecisionProducer p = new DecisionProducer(kafka.bootstrapServers(), topic)) {
                p.sendNow(ban("192.0.2.1/32", null));
                p.sendRaw("192.0.2.1/32", null);                       // lifted again
                p.sendRaw("192.0.2.2/32", "not json".getBytes(StandardCharsets.UTF_8));
                p.sendRaw("192.0.2.3/32", ("{\"schema\":99,\"cidr\":\"192.0.2.3/32\"}").getBytes(StandardCharsets.UTF_8));
                p.send(ban("192.0.2.4/32", null));
                p.sendRaw("192.0.2.99/32", serialize(ban("192.0.2.5/32", null)));   // key is not the network
                p.sendRaw("192.0.2.6/24", serialize(ban("192.0.2.6/24", null)));    // host bits set
                p.flush();
            }
            await(() -> live.decisionsRead() == n + 7, "the new records read");
            assertEquals(n + 1, live.decisions().size(), "only 192.0.2.4 was added");
            assertTrue(live.decisions().get("192.0.2.4/32").isPresent());
            assertFalse(live.decisions().get("192.0.2.1/32").isPresent());
            assertEquals(4, live.unreadable(), live.lastUnreadable());
        }
    }

    @Test
    void anEmptyTopicIsReplayedAtOnceAndAMissingOneIsWaitedFor() {
        String empty = "decisions-" + UUID.randomUUID();
        kafka.createTopic(empty, 1, true);
        LiveSet live = new LiveSet(Clock.systemUTC(), 1000, 1000);
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                live.subscriptions(empty, null))) {
            reader.start();
            await(() -> reader.isReplayed(empty), "an empty topic is replayed");
        }
        String missing = "decisions-" + UUID.randomUUID();
        LiveSet live2 = new LiveSet(Clock.systemUTC(), 1000, 1000);
        AtomicInteger replays = new AtomicInteger();
        try (BusReader reader = new BusReader("test", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                List.of(new BusReader.Subscription(missing, r -> live2.decision(r.key(), r.value(), BusReader.where(r)),
                        replays::incrementAndGet)))) {
            reader.start();
            await(() -> reader.replay(missing) == BusReader.Replay.NO_TOPIC, "the topic seen missing");
            assertFalse(reader.isReplayed(missing), "no topic: no replay, so not ready");
            kafka.createTopic(missing, 2, true);
            try (DecisionProducer p = new DecisionProducer(kafka.bootstrapServers(), missing)) {
                p.sendNow(ban("192.0.2.1/32", Instant.now().plusSeconds(3600)));
            }
            await(() -> reader.isReplayed(missing), "replayed once the topic exists");
            await(() -> live2.decisions().size() == 1, "its record read");
            assertEquals(1, replays.get());
        }
    }

    private static byte[] serialize(dev.portcullis.events.Decision d) {
        return dev.portcullis.events.DecisionCodec.encode(d);
    }

    private static void await(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            pause(50);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
