package dev.portcullis.reputation;

import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import dev.portcullis.testkit.InfinispanResource;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster-wide limits: events from several edges add up to one verdict on the compacted
 * topic, with Postfix's limit semantics (test-main.cf: count 5, rate 10, messages 8,
 * recipients 20 per 60 s; soft error limit 3).
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(value = InfinispanResource.class,
        initArgs = @ResourceArg(name = InfinispanResource.CACHES_ARG, value = "portcullis-reputation"))
@WithTestResource(ReputationTestResource.class)
class VerdictsTest {

    static Events events;

    @BeforeAll
    static void producer() {
        events = new Events();
    }

    @AfterAll
    static void closeProducer() {
        events.close();
    }

    /** The verdict records for {@code ip} so far, oldest first (null = tombstone), once {@code until} holds. */
    static List<Verdict> awaitVerdicts(String ip, java.util.function.Predicate<List<Verdict>> until) {
        List<Verdict> out = new ArrayList<>();
        KafkaRecords.await(KafkaResource.bootstrapServers(), Topics.VERDICTS, records -> {
            out.clear();
            records.stream().filter(r -> ip.equals(r.key())).forEach(r -> out.add(r.value() == null ? null
                    : decode(r.value())));
            return until.test(out);
        }, Duration.ofSeconds(20));
        return out;
    }

    static Verdict decode(String json) {
        try {
            return VerdictCodec.decode(json.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Verdict last(List<Verdict> vs) {
        return vs.isEmpty() ? null : vs.get(vs.size() - 1);
    }

    static boolean lastHas(List<Verdict> vs, String limit) {
        Verdict v = last(vs);
        return v != null && v.limits().stream().anyMatch(e -> e.limit().equals(limit));
    }

    @Test
    void connectionRateSummedOverEdgesGivesAVerdictAboveTheLimit() {
        String ip = "127.20.0.1";
        // 10 connections over two edges: the limit-th is still allowed, no verdict.
        for (int i = 0; i < 10; i++) {
            String s = events.open(i % 2 == 0 ? "edge-a" : "edge-b", ip);
            events.close(i % 2 == 0 ? "edge-a" : "edge-b", s, ip);
        }
        await10(ip, "connections", 10);
        assertTrue(KafkaRecords.pollUntil(KafkaResource.bootstrapServers(), Topics.VERDICTS,
                rs -> false, Duration.ofMillis(500)).stream().noneMatch(r -> ip.equals(r.key())));
        // The 11th, on a third edge, crosses it.
        events.open("edge-c", ip);
        List<Verdict> vs = awaitVerdicts(ip, l -> lastHas(l, Verdict.CONNECTION_RATE));
        Verdict v = last(vs);
        assertEquals(ip, v.subject());
        assertEquals("reputation-test", v.issuer());
        Verdict.Entry e = v.active(Verdict.CONNECTION_RATE, v.issued());
        assertEquals(11, e.value());
        assertEquals(10, e.configured());
        // It lasts until the window has slid past enough connections: within one anvil unit.
        assertTrue(e.until().isAfter(v.issued()) && !e.until().isAfter(v.issued().plusSeconds(60)), e::toString);
        given().header("Authorization", "Bearer test-token").get("/api/v1/reputation/" + ip).then()
                .body("verdicts.limit", hasItem(Verdict.CONNECTION_RATE));
    }

    @Test
    void openSessionsOverAllEdgesGiveAConnectionCountVerdictThatEndsWithATombstone() {
        String ip = "127.20.0.2";
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sessions.add(events.open("edge-" + i, ip));
        }
        Verdict v = last(awaitVerdicts(ip, l -> lastHas(l, Verdict.CONNECTION_COUNT)));
        assertEquals(5, v.active(Verdict.CONNECTION_COUNT, v.issued()).value());
        events.close("edge-0", sessions.get(0), ip);
        List<Verdict> vs = awaitVerdicts(ip, l -> l.size() >= 2 && last(l) == null);
        assertNull(last(vs), "a tombstone once below the limit");
    }

    @Test
    void errorsAreCarriedAcrossReconnectsUntilADelivery() {
        String ip = "127.20.0.3";
        for (int i = 0; i < 3; i++) {
            String s = events.open("edge-" + (i % 2), ip);
            events.send(new SessionEvent.Error(Events.meta("edge-" + (i % 2), s, ip), "BOGUS", 500, "5.5.2", "x", 1));
            events.close("edge-" + (i % 2), s, ip);
        }
        Verdict v = last(awaitVerdicts(ip, l -> lastHas(l, Verdict.CARRIED_ERRORS)));
        Verdict.Entry e = v.active(Verdict.CARRIED_ERRORS, v.issued());
        assertEquals(3, e.value());
        assertEquals(3, e.configured());
        assertTrue(e.until().isAfter(v.issued().plusSeconds(590)), "remembered for error-memory (10m): " + e);
        events.delivered("edge-1", ip);
        assertNull(last(awaitVerdicts(ip, l -> l.size() >= 2 && last(l) == null)));
    }

    @Test
    void messageAndRecipientRatesAreSummedToo() {
        String ip = "127.20.0.4";
        String s = events.open("edge-a", ip);
        for (int i = 0; i < 9; i++) {
            events.send(new SessionEvent.Mail(Events.meta(i < 5 ? "edge-a" : "edge-b", s, ip), "a@example.org", -1));
        }
        Verdict v = last(awaitVerdicts(ip, l -> lastHas(l, Verdict.MESSAGE_RATE)));
        assertEquals(9, v.active(Verdict.MESSAGE_RATE, v.issued()).value());
        for (int i = 0; i < 20; i++) {
            events.send(new SessionEvent.Rcpt(Events.meta("edge-a", s, ip), "a@example.org", "b@example.com"));
        }
        // A rejected RCPT counts as an attempt, as in anvil.
        events.send(new SessionEvent.Reject(Events.meta("edge-b", s, ip), "RCPT", 554, "5.7.1",
                "reject_unauth_destination", "Relay access denied", "a@example.org", "x@elsewhere.example"));
        v = last(awaitVerdicts(ip, l -> lastHas(l, Verdict.RECIPIENT_RATE)));
        assertEquals(21, v.active(Verdict.RECIPIENT_RATE, v.issued()).value());
        assertTrue(v.active(Verdict.MESSAGE_RATE, v.issued()) != null, "both limits in one record: " + v);
    }

    @Test
    void clientsInTheLimitExceptionsGetNoAnvilVerdict() {
        String ip = "192.0.2.5"; // smtpd_client_event_limit_exceptions in test-main.cf
        for (int i = 0; i < 12; i++) {
            events.open("edge-a", ip);
        }
        await10(ip, "connections", 12);
        assertTrue(KafkaRecords.pollUntil(KafkaResource.bootstrapServers(), Topics.VERDICTS,
                rs -> false, Duration.ofSeconds(1)).stream().noneMatch(r -> ip.equals(r.key())));
    }

    @Test
    void anUnreadableRecordIsSkippedAndCountedAndTheNextOneCounts() {
        long before = unreadable();
        events.raw("127.20.0.9", "this is not an event".getBytes(StandardCharsets.UTF_8));
        events.raw("127.20.0.9", "{\"kind\":\"TELEPORT\",\"meta\":{\"schema\":1}}".getBytes(StandardCharsets.UTF_8));
        events.raw("127.20.0.9", "{\"kind\":\"CONNECT\",\"meta\":{\"schema\":99}}".getBytes(StandardCharsets.UTF_8));
        events.send(new SessionEvent.Connect(Events.meta("edge-a", Events.newSession(), "no-an-ip"), 1, "x"));
        events.open("edge-a", "127.20.0.9");
        await10("127.20.0.9", "connections", 1);
        assertEquals(before + 4, unreadable());
    }

    static long unreadable() {
        return given().get("/q/health/ready").then().statusCode(200).extract().jsonPath()
                .getLong("checks.find { it.name == 'grid' }.data.eventsUnreadable");
    }

    static void await10(String ip, String counter, long expected) {
        ReputationApiTest.awaitCount(ip, "60s", counter, expected);
    }

}
