package dev.portcullis.edge;

import dev.portcullis.edge.cluster.VerdictConsumer;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.edge.BusFixtures.admin;
import static dev.portcullis.edge.BusFixtures.awaitEvent;
import static dev.portcullis.edge.BusFixtures.awaitLogLine;
import static dev.portcullis.edge.BusFixtures.literal;
import static dev.portcullis.edge.SmtpProtocolTest.assertReply;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster-wide verdicts from a real Kafka broker, enforced over real SMTP sessions (test
 * main.cf: soft error limit 3, hard 6, sleep 1 s; no anvil exceptions). Every test uses its own
 * 127.77.x addresses and lifts what it published, so the verdicts never reach other tests.
 * Propagation is awaited by polling the edge's verdict table, never by sleeping.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class ClusterVerdictTest {

    /** Bounded wait for a record to travel producer → broker → the edge's consumer. */
    static final Duration PROPAGATION = Duration.ofSeconds(15);

    @Inject
    EdgeApplication edge;
    @Inject
    VerdictConsumer verdicts;

    private final List<String> published = new ArrayList<>();

    @BeforeAll
    static void createTopic() throws Exception {
        // As the launcher does: compacted, three partitions (so keys land on different ones).
        BusFixtures.createCompactedTopic(Topics.VERDICTS);
    }

    @AfterEach
    void liftEverything() {
        for (String subject : published) {
            KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.VERDICTS, subject, null);
        }
        for (String subject : published) {
            awaitLifted(subject);
        }
        published.clear();
    }

    // ------------------------------------------------------------------ connect

    @Test
    void aConnectionVerdictRefusesThatIpOnlyUntilATombstoneLiftsIt() throws Exception {
        String ip = "127.77.1.1";
        publish(ip, entry(Verdict.CONNECTION_RATE, 31, 30, Duration.ofMinutes(10)));
        awaitApplied(ip, Verdict.CONNECTION_RATE);

        try (SmtpTestClient c = open(ip)) {
            assertReply(c.readReply(), 421, "4.7.0 edge.portcullis.test Error: too many connections from " + ip);
            assertTrue(c.awaitClose(Duration.ofSeconds(5)), "closed after the 421");
        }
        try (SmtpTestClient other = open("127.77.1.2")) {
            assertEquals(220, other.readReply().code(), "another client is not affected");
        }
        awaitLogLine("warning: Connection rate limit exceeded: 31 from unknown[" + ip
                + "] for service smtp (cluster-wide)");
        SessionEvent.Limit limit = (SessionEvent.Limit) awaitEvent(ip,
                e -> e instanceof SessionEvent.Limit l && l.limit().equals(Verdict.CONNECTION_RATE));
        assertEquals(31, limit.value());
        assertEquals(30, limit.configured());
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(containsString("portcullis_edge_cluster_refusals_total{limit=\""
                        + Verdict.CONNECTION_RATE + "\"}"))
                .body(containsString("portcullis_edge_verdicts_active"))
                .body(containsString("portcullis_edge_verdicts_read_total"))
                .body(containsString("portcullis_edge_verdicts_evicted_total"));

        lift(ip);
        try (SmtpTestClient c = open(ip)) {
            assertEquals(220, c.readReply().code(), "the tombstone lifted it");
        }
    }

    @Test
    void aNetworkVerdictRefusesEveryAddressInIt() throws Exception {
        publish("127.77.3.0/24", entry(Verdict.CONNECTION_COUNT, 250, 20, Duration.ofMinutes(10)));
        awaitApplied("127.77.3.9", Verdict.CONNECTION_COUNT);
        try (SmtpTestClient c = open("127.77.3.9")) {
            assertReply(c.readReply(), 421, "4.7.0 edge.portcullis.test Error: too many connections from 127.77.3.9");
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
        }
        awaitLogLine("warning: Connection concurrency limit exceeded: 250 from unknown[127.77.3.9] for service smtp"
                + " (cluster-wide)");
        try (SmtpTestClient outside = open("127.77.4.9")) {
            assertEquals(220, outside.readReply().code(), "outside the /24");
        }
    }

    @Test
    void anEntryWhoseUntilIsPastIsIgnored() throws Exception {
        long readBefore = verdicts.read();
        // Only expired entries: nothing to apply at all.
        publish("127.77.2.2", entry(Verdict.CONNECTION_RATE, 31, 30, Duration.ofSeconds(-5)));
        // An expired connection entry next to a live recipient-rate one: only the latter counts.
        publish("127.77.2.1", entry(Verdict.CONNECTION_RATE, 31, 30, Duration.ofSeconds(-5)),
                entry(Verdict.RECIPIENT_RATE, 500, 100, Duration.ofMinutes(10)));
        awaitApplied("127.77.2.1", Verdict.RECIPIENT_RATE);
        await().atMost(PROPAGATION).until(() -> verdicts.read() >= readBefore + 2);
        for (String ip : List.of("127.77.2.1", "127.77.2.2")) {
            try (SmtpTestClient c = open(ip)) {
                assertEquals(220, c.readReply().code(), ip + ": the expired entry is not applied");
            }
        }
    }

    // ------------------------------------------------------------------ MAIL and RCPT

    @Test
    void aMessageRateVerdictDefersMailEvenInASessionThatWasOpenBeforeIt() throws Exception {
        String ip = "127.77.5.1";
        try (SmtpTestClient c = open(ip)) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("EHLO client.example").code());

            publish(ip, entry(Verdict.MESSAGE_RATE, 4000, 40, Duration.ofMinutes(10)));
            awaitApplied(ip, Verdict.MESSAGE_RATE);

            assertEquals(250, c.command("NOOP").code(), "a verdict never cuts a session in progress");
            assertReply(c.command("MAIL FROM:<a@example.org>"), 450, "4.7.1 Error: too much mail from " + ip);
        }
        awaitLogLine("warning: Message delivery request rate limit exceeded: 4000 from unknown[" + ip
                + "] for service smtp (cluster-wide)");
        awaitLogLine("NOQUEUE: reject: MAIL from unknown[" + ip + "]: 450 4.7.1 Error: too much mail from " + ip
                + "; from=<a@example.org> proto=ESMTP helo=<client.example>");
        SessionEvent.Reject reject = (SessionEvent.Reject) awaitEvent(ip, e -> e instanceof SessionEvent.Reject);
        assertEquals("MAIL", reject.stage());
        assertEquals(450, reject.code());
        assertEquals(Verdict.MESSAGE_RATE, reject.check());
    }

    @Test
    void aRecipientRateVerdictDefersRcpt() throws Exception {
        String ip = "127.77.5.2";
        publish(ip, entry(Verdict.RECIPIENT_RATE, 900, 100, Duration.ofMinutes(10)));
        awaitApplied(ip, Verdict.RECIPIENT_RATE);
        try (SmtpTestClient c = open(ip)) {
            assertEquals(220, c.readReply().code(), "a recipient-rate verdict does not refuse the connection");
            assertEquals(250, c.command("EHLO client.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
            assertReply(c.command("RCPT TO:<user@ours.example>"), 450, "4.7.1 Error: too many recipients from " + ip);
        }
        awaitLogLine("NOQUEUE: reject: RCPT from unknown[" + ip + "]: 450 4.7.1 Error: too many recipients from "
                + ip + "; from=<a@example.org> to=<user@ours.example> proto=ESMTP helo=<client.example>");
        SessionEvent.Reject reject = (SessionEvent.Reject) awaitEvent(ip, e -> e instanceof SessionEvent.Reject);
        assertEquals(Verdict.RECIPIENT_RATE, reject.check());
        assertEquals("user@ours.example", reject.recipient());
    }

    // ------------------------------------------------------------------ carried errors

    @Test
    void carriedErrorsTarpitTheNewSessionFromTheStartAndTheNextErrorEndsIt() throws Exception {
        String ip = "127.77.6.1";
        // Without a verdict: the first errors are answered at once (soft limit 3).
        try (SmtpTestClient c = open("127.77.6.2")) {
            assertEquals(220, c.readReply().code());
            SmtpTestClient.TimedReply r = c.commandTimed("BOGUS");
            assertEquals(500, r.code());
            assertTrue(r.millis() < TarpitTest.FAST_MS, "no verdict, no tarpit: took " + r.millis());
        }

        publish(ip, entry(Verdict.CARRIED_ERRORS, 20, 3, Duration.ofMinutes(10)));
        awaitApplied(ip, Verdict.CARRIED_ERRORS);
        try (SmtpTestClient c = open(ip)) {
            SmtpTestClient.TimedReply greeting = c.readReplyTimed();
            assertEquals(220, greeting.code(), "carried errors do not refuse the connection");
            SmtpTestClient.TimedReply r = c.commandTimed("BOGUS");
            assertEquals(500, r.code());
            assertTrue(r.millis() >= TarpitTest.SLOW_MS, "the first reply is tarpitted, took " + r.millis());
            // min(20, hard limit 6 - 1) = 5 carried + this one = 6: the hard limit, after one error.
            SmtpTestClient.Reply bye = c.readReply();
            assertReply(bye, 421, "4.7.0 edge.portcullis.test Error: too many errors");
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
        }
        awaitLogLine("too many errors after UNKNOWN from unknown[" + ip + "]");
        SessionEvent.Disconnect bye = (SessionEvent.Disconnect) awaitEvent(ip,
                e -> e instanceof SessionEvent.Disconnect);
        assertEquals("too-many-errors", bye.reason());
        assertEquals(1, bye.errors(), "the session's own errors; the carried ones were counted where they were made");
    }

    // ------------------------------------------------------------------ bad records

    @Test
    void anUnreadableRecordIsSkippedAndCountedAndTheNextVerdictStillApplies() throws Exception {
        long unreadableBefore = verdicts.unreadable();
        String ip = "127.77.7.2";
        published.add("127.77.7.1");
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.VERDICTS, "127.77.7.1", "this is not JSON {");
        published.add("not-an-address");
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.VERDICTS, "not-an-address",
                new String(VerdictCodec.encode(verdict("not-an-address",
                        entry(Verdict.CONNECTION_RATE, 1, 1, Duration.ofMinutes(10)))), StandardCharsets.UTF_8));
        publish(ip, entry(Verdict.CONNECTION_RATE, 31, 30, Duration.ofMinutes(10)));

        awaitApplied(ip, Verdict.CONNECTION_RATE);
        await().atMost(PROPAGATION).until(() -> verdicts.unreadable() >= unreadableBefore + 2);
        try (SmtpTestClient c = open(ip)) {
            assertReply(c.readReply(), 421, "4.7.0 edge.portcullis.test Error: too many connections from " + ip);
        }
        RestAssured.get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'smtp' }.data.verdictsUnreadable",
                        greaterThanOrEqualTo((int) unreadableBefore + 2))
                .body("checks.find { it.name == 'smtp' }.data.verdicts", greaterThanOrEqualTo(1));
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(containsString("portcullis_edge_verdicts_unreadable_total"));
    }

    // ------------------------------------------------------------------ no consumer group

    /**
     * The edge reads the bus with a plain consumer that assigns its partitions: it joins no group
     * (so a broker restart cannot rebalance it back to the earliest offset) and commits nothing.
     */
    @Test
    void theEdgeReadsInNoConsumerGroupAndCommitsNothing() throws Exception {
        String ip = "127.77.8.1";
        publish(ip, entry(Verdict.CONNECTION_RATE, 31, 30, Duration.ofMinutes(10)));
        awaitApplied(ip, Verdict.CONNECTION_RATE);
        try (Admin admin = admin()) {
            List<String> groups = admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
                    .map(ConsumerGroupListing::groupId).filter(g -> g.startsWith("portcullis-edge")).toList();
            assertTrue(groups.isEmpty(), "the edge joined " + groups);
        }
    }

    // ------------------------------------------------------------------ helpers

    private SmtpTestClient open(String from) throws Exception {
        return SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), from, Duration.ofSeconds(10));
    }

    private Verdict.Entry entry(String limit, long value, long configured, Duration left) {
        return new Verdict.Entry(limit, value, configured, Instant.now().plus(left));
    }

    private static Verdict verdict(String subject, Verdict.Entry... entries) {
        return new Verdict(Verdict.SCHEMA, subject, Instant.now(), "reputation-test", List.of(entries));
    }

    private void publish(String subject, Verdict.Entry... entries) {
        published.add(subject);
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.VERDICTS, subject,
                new String(VerdictCodec.encode(verdict(subject, entries)), StandardCharsets.UTF_8));
    }

    private void lift(String subject) {
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.VERDICTS, subject, null);
        awaitLifted(subject);
    }

    private void awaitApplied(String ip, String limit) {
        InetAddress client = literal(ip);
        await().atMost(PROPAGATION).pollInterval(Duration.ofMillis(50))
                .until(() -> verdicts.table().find(client, limit) != null);
    }

    /** Until nothing the subject's verdict could say is in force for it (IP or the network's first address). */
    private void awaitLifted(String subject) {
        InetAddress client;
        try {
            client = literal(subject.contains("/") ? subject.substring(0, subject.indexOf('/')) : subject);
        } catch (IllegalArgumentException e) {
            return; // not an address: never in the table
        }
        await().atMost(PROPAGATION).pollInterval(Duration.ofMillis(50)).until(() -> List.of(
                Verdict.CONNECTION_COUNT, Verdict.CONNECTION_RATE, Verdict.MESSAGE_RATE, Verdict.RECIPIENT_RATE,
                Verdict.CARRIED_ERRORS).stream().allMatch(l -> verdicts.table().find(client, l) == null));
    }
}
