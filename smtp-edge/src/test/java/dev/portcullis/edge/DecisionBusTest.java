package dev.portcullis.edge;

import dev.portcullis.edge.cluster.DecisionConsumer;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.portcullis.edge.BusFixtures.awaitEvent;
import static dev.portcullis.edge.BusFixtures.awaitLogLine;
import static dev.portcullis.edge.BusFixtures.literal;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ban decisions from a real Kafka broker ({@code portcullis.decisions}), enforced at connect
 * over real SMTP sessions. Every test uses its own 127.80.x addresses and lifts what it
 * published. Propagation is awaited by polling the edge's decision table, never by sleeping.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class DecisionBusTest {

    static final Duration PROPAGATION = Duration.ofSeconds(20);

    @Inject
    EdgeApplication edge;
    @Inject
    DecisionConsumer decisions;

    private final List<String> published = new ArrayList<>();

    @BeforeAll
    static void createTopic() throws Exception {
        BusFixtures.createCompactedTopic(Topics.DECISIONS);
    }

    @AfterEach
    void liftEverything() {
        for (String cidr : published) {
            KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.DECISIONS, cidr, null);
        }
        for (String cidr : published) {
            await().atMost(PROPAGATION).until(() -> decisions.table().get(cidr).isEmpty());
        }
        published.clear();
    }

    @Test
    void aPublishedBanRefusesTheClientUntilItsTombstone() throws Exception {
        String ip = "127.80.1.1";
        publish(ban("127.80.1.0/24", Instant.now().plusSeconds(600)));
        awaitBanned(ip);
        try (SmtpTestClient c = open(ip)) {
            SmtpTestClient.Reply r = c.readReply();
            assertEquals("554 5.7.1 Service unavailable; Client host [127.80.1.1] blocked", r.lastLine());
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
        }
        try (SmtpTestClient c = open("127.80.2.1")) {
            assertEquals(220, c.readReply().code(), "outside the banned /24");
        }
        awaitLogLine("NOQUEUE: reject: CONNECT from unknown[127.80.1.1]: 554 5.7.1");
        SessionEvent.Reject reject = (SessionEvent.Reject) awaitEvent(ip,
                e -> e instanceof SessionEvent.Reject r && r.stage().equals("CONNECT"));
        assertEquals(BanGate.CHECK, reject.check());
        assertEquals("jail:postfix", reject.text());

        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.DECISIONS, "127.80.1.0/24", null);
        await().atMost(PROPAGATION).until(() -> !decisions.table().banned(literal(ip), 25, Instant.now()));
        try (SmtpTestClient c = open(ip)) {
            assertEquals(220, c.readReply().code(), "lifted by the tombstone");
        }
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(containsString("portcullis_edge_banned_total{action=\"reply\"}"))
                .body(containsString("portcullis_edge_decisions_active"))
                .body(containsString("portcullis_edge_decisions_read_total"))
                .body(containsString("portcullis_edge_decisions_unreadable_total"));
    }

    @Test
    void unreadableRecordsAreSkippedAndCountedAndTheNextOneStillApplies() throws Exception {
        long before = decisions.unreadable();
        String bootstrap = KafkaResource.bootstrapServers();
        KafkaRecords.send(bootstrap, Topics.DECISIONS, "127.80.3.0/24", "not json {");
        KafkaRecords.send(bootstrap, Topics.DECISIONS, "127.80.3.0/24", "{\"schema\":99,\"cidr\":\"127.80.3.0/24\"}");
        // a value under another key would survive its own network's tombstone: refused
        KafkaRecords.send(bootstrap, Topics.DECISIONS, "127.80.3.0/24",
                new String(DecisionCodec.encode(ban("127.80.4.0/24", null)), StandardCharsets.UTF_8));
        KafkaRecords.send(bootstrap, Topics.DECISIONS, "127.80.3.7/24",
                new String(DecisionCodec.encode(ban("127.80.3.7/24", null)), StandardCharsets.UTF_8));
        publish(ban("127.80.3.9/32", null));
        awaitBanned("127.80.3.9");
        await().atMost(PROPAGATION).until(() -> decisions.unreadable() >= before + 4);
        assertTrue(decisions.table().get("127.80.4.0/24").isEmpty());
        assertTrue(decisions.lastUnreadable().contains("portcullis.decisions-"), decisions.lastUnreadable());
        RestAssured.get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'smtp' }.data.decisionsReplayed", equalTo(true))
                .body("checks.find { it.name == 'smtp' }.data.decisionsUnreadable",
                        greaterThanOrEqualTo((int) before + 4))
                .body("checks.find { it.name == 'smtp' }.data.decisions", greaterThanOrEqualTo(1));
    }

    @Test
    void anAllowPublishedForAnAddressLetsItThroughAWiderBan() throws Exception {
        publish(ban("127.80.5.0/24", null));
        publish(new Decision(Decision.SCHEMA, "127.80.5.5/32", Decision.Action.ALLOW, List.of(), "manual:ops",
                "partner", Instant.now(), null, "ban-test"));
        awaitBanned("127.80.5.6");
        await().atMost(PROPAGATION).until(() -> decisions.table().get("127.80.5.5/32").isPresent());
        try (SmtpTestClient c = open("127.80.5.5")) {
            assertEquals(220, c.readReply().code());
        }
        try (SmtpTestClient c = open("127.80.5.6")) {
            assertEquals(554, c.readReply().code());
        }
    }

    private static Decision ban(String cidr, Instant expires) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN, List.of(), "jail:postfix", "3 rejects in 10m",
                Instant.now(), expires, "ban-test");
    }

    private void publish(Decision d) {
        published.add(d.cidr());
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.DECISIONS, d.cidr(),
                new String(DecisionCodec.encode(d), StandardCharsets.UTF_8));
    }

    private void awaitBanned(String ip) {
        await().atMost(PROPAGATION).pollInterval(Duration.ofMillis(50))
                .until(() -> decisions.table().banned(literal(ip), 25, Instant.now()));
    }

    private SmtpTestClient open(String from) throws Exception {
        return SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), from, Duration.ofSeconds(10));
    }
}
