package dev.portcullis.edge.cluster;

import dev.portcullis.events.Topics;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Record handling of the verdict consumer, one record at a time (the bus itself: ClusterVerdictTest). */
class VerdictConsumerTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private long offset;

    private VerdictConsumer consumer() {
        VerdictConsumer c = new VerdictConsumer();
        c.registry = registry;
        c.maxSubjects = 100;
        c.sweepInterval = Duration.ofSeconds(30);
        c.init();
        return c;
    }

    private ConsumerRecord<String, byte[]> record(String key, byte[] value) {
        return new ConsumerRecord<>(Topics.VERDICTS, 0, offset++, key, value);
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] verdict(String subject, String limit) {
        return VerdictCodec.encode(new Verdict(Verdict.SCHEMA, subject, Instant.now(), "rep",
                List.of(new Verdict.Entry(limit, 40, 30, Instant.now().plusSeconds(600)))));
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal); // literals only
    }

    @Test
    void theDelayFromIssueToApplicationIsMeasuredAndTheStartUpReplayIsNotLag() throws Exception {
        ClusterVerdictsTest.FakeClock clock = new ClusterVerdictsTest.FakeClock();
        VerdictConsumer c = new VerdictConsumer();
        c.registry = registry;
        c.maxSubjects = 100;
        c.sweepInterval = Duration.ofSeconds(30);
        c.clock = clock;
        c.init();
        assertEquals(-1.0, registry.get("portcullis.edge.verdicts.lag.millis").gauge().value());

        // replayed at start: a verdict decided 40 s before this edge started is old, not late
        Instant until = clock.instant().plusSeconds(600);
        c.consume(record("192.0.2.1", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.1",
                clock.instant().minusSeconds(40), "rep", List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 11, 10, until))))));
        assertEquals(40_000, c.lastLagMillis());
        assertEquals(-1, c.maxLagMillis());

        // live: decided at t, read 6.5 s later (a consumer behind under a flood)
        Instant issued = clock.instant().plusSeconds(1);
        clock.advance(Duration.ofMillis(7_500));
        c.consume(record("192.0.2.2", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.2", issued, "rep",
                List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 11, 10, until))))));
        clock.advance(Duration.ofSeconds(1));
        c.consume(record("192.0.2.3", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.3",
                clock.instant().minusMillis(20), "rep", List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 11, 10, until))))));
        assertEquals(20, c.lastLagMillis());
        assertEquals(6_500, c.maxLagMillis());
        assertEquals(20.0, registry.get("portcullis.edge.verdicts.lag.millis").gauge().value());
        assertEquals(6_500.0, registry.get("portcullis.edge.verdicts.lag.max.millis").gauge().value());
        c.consume(record("192.0.2.3", null)); // a tombstone has no issue time: the figures stay
        assertEquals(20, c.lastLagMillis());
    }

    @Test
    void unreadableRecordsAreSkippedAndCountedAndTheNextOneStillApplies() throws Exception {
        VerdictConsumer c = consumer();
        String newer = new String(verdict("192.0.2.1", Verdict.CONNECTION_RATE), StandardCharsets.UTF_8)
                .replace("\"schema\":1", "\"schema\":99");
        c.consume(record("192.0.2.1", json("not json at all")));
        c.consume(record("192.0.2.1", json(newer)));
        c.consume(record("192.0.2.1", json("{\"schema\":1,\"subject\":\"192.0.2.1\"}"))); // no issue time
        c.consume(record("no-such-host.example", verdict("no-such-host.example", Verdict.CONNECTION_RATE)));
        c.consume(record(null, null)); // a tombstone needs a key
        c.consume(record("\u0000\u001b[31m", null)); // a hostile key reaches the log only cut and printable
        assertEquals(6, c.unreadable());
        assertEquals(0, c.table().size());
        assertTrue(c.lastUnreadable().contains("key ??[31m"), c.lastUnreadable());

        c.consume(record("192.0.2.1", verdict("192.0.2.1", Verdict.CONNECTION_RATE)));
        assertNotNull(c.table().find(ip("192.0.2.1"), Verdict.CONNECTION_RATE));
        assertEquals(7, c.read());
        assertEquals(6, c.unreadable());
        assertEquals(6.0, registry.get("portcullis.edge.verdicts.unreadable").functionCounter().count());
        assertEquals(7.0, registry.get("portcullis.edge.verdicts.read").functionCounter().count());
        assertEquals(1.0, registry.get("portcullis.edge.verdicts.active").gauge().value());
    }

    @Test
    void aTombstoneRemovesAndARecordWithoutAKeyUsesItsSubject() throws Exception {
        VerdictConsumer c = consumer();
        c.consume(record(null, verdict("198.51.100.0/24", Verdict.MESSAGE_RATE)));
        assertNotNull(c.table().find(ip("198.51.100.77"), Verdict.MESSAGE_RATE));
        c.consume(record("198.51.100.0/24", null));
        assertNull(c.table().find(ip("198.51.100.77"), Verdict.MESSAGE_RATE));
        assertEquals(1, c.tombstones());
        assertEquals(0, c.unreadable());
        assertEquals(0.0, registry.get("portcullis.edge.verdicts.evicted").functionCounter().count());
    }
}
