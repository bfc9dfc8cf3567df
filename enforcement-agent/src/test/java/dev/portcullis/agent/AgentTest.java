package dev.portcullis.agent;

import dev.portcullis.agent.policy.PolicyClient;
import dev.portcullis.events.Topics;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import dev.portcullis.testkit.KafkaBroker;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;

import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.policy.PolicyClient.request;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent as it runs: Quarkus, a real broker, decisions from before its start and after,
 * enforced by nftables in a network namespace, the policy server and the cidr table.
 */
@QuarkusTest
@QuarkusTestResource(value = AgentTestResource.class, restrictToAnnotatedClass = true)
class AgentTest {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    @Inject
    Agent agent;

    private int policyPort() {
        return agent.policy().orElseThrow().port();
    }

    private void awaitReady() {
        await(() -> RestAssured.get("/q/health/ready").statusCode() == 200, "ready");
    }

    @Test
    void decisionsFromBeforeTheStartAreEnforcedByEveryEnforcerOnceReady() throws IOException {
        awaitReady();
        RestAssured.get("/q/health/ready").then().body("checks[0].data.decisions", equalTo(501))
                .body("checks[0].data.bus", equalTo("following"));
        String ip = AgentTestResource.bannedBeforeStart;
        try (PolicyClient c = new PolicyClient(policyPort())) {
            assertTrue(c.ask(request(ip)).startsWith("action=554 5.7.1"));
            assertEquals("action=DUNNO", c.ask(request("192.0.2.201")), "lifted before the start");
            assertTrue(c.ask(request("10.200.2.99")).startsWith("action=554 5.7.1"));
        }
        String table = Files.readString(AgentTestResource.dir.resolve("portcullis.cidr"));
        assertTrue(table.contains(ip + "/32 REJECT\n"), table.substring(0, Math.min(400, table.length())));
        assertFalse(table.contains("192.0.2.201"));
        if (AgentTestResource.ns != null) {
            assertFalse(AgentTestResource.ns.connects(ip, 25, 1500), "dropped by the agent's nftables set");
            assertTrue(AgentTestResource.ns.connects(AgentTestResource.ns.v4(3), 25, 5000));
        }
    }

    @Test
    void aNewBanReachesEveryEnforcerAndItsTombstoneLiftsIt() throws IOException {
        awaitReady();
        String ip = AgentTestResource.ns != null ? AgentTestResource.ns.v4(4) : "192.0.2.210";
        try (DecisionProducer p = new DecisionProducer(AgentTestResource.bootstrap, Topics.DECISIONS);
             PolicyClient c = new PolicyClient(policyPort())) {
            long t0 = System.nanoTime();
            p.sendNow(ban(ip + "/32", Instant.now().plusSeconds(3600)));
            await(() -> ask(c, ip).startsWith("action=554"), "policy refuses " + ip);
            long policyMs = (System.nanoTime() - t0) / 1_000_000;
            await(() -> exported().contains(ip + "/32 REJECT"), "cidr table lists " + ip);
            long exportMs = (System.nanoTime() - t0) / 1_000_000;
            long nftMs = -1;
            if (AgentTestResource.ns != null) {
                await(() -> agent.nft().orElseThrow().elements() == 502, "nft holds it");
                nftMs = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(AgentTestResource.ns.connects(ip, 25, 1500));
            }
            System.out.printf("ban propagation: policy %d ms, cidr table %d ms, nft set %d ms%n", policyMs, exportMs,
                    nftMs);

            p.sendRaw(ip + "/32", null);
            p.flush();
            await(() -> ask(c, ip).equals("action=DUNNO"), "policy lets " + ip + " in again");
            await(() -> !exported().contains(ip + "/32"), "cidr table drops " + ip);
            if (AgentTestResource.ns != null) {
                await(() -> AgentTestResource.ns.connects(ip, 25, 2000), "nft lets " + ip + " in again");
            }
        }
    }

    @Test
    void aBrokerOutageKeepsEverythingEnforcedAndTheAgentCatchesUpAfterwards() throws IOException {
        awaitReady();
        String ip = AgentTestResource.bannedBeforeStart;
        KafkaBroker kafka = KafkaBroker.shared();
        kafka.stop();
        try (PolicyClient c = new PolicyClient(policyPort())) {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RestAssured.get("/q/health/ready").then().statusCode(200);
            assertTrue(c.ask(request(ip)).startsWith("action=554"), "the bans held are still enforced");
            assertTrue(exported().contains(ip + "/32 REJECT"));
        } finally {
            kafka.restart();
        }
        try (DecisionProducer p = new DecisionProducer(AgentTestResource.bootstrap, Topics.DECISIONS);
             PolicyClient c = new PolicyClient(policyPort())) {
            p.sendNow(ban("192.0.2.220/32", null));
            await(() -> ask(c, "192.0.2.220").startsWith("action=554"), "a ban after the outage arrives");
            p.sendRaw("192.0.2.220/32", null);
            p.flush();
            await(() -> ask(c, "192.0.2.220").equals("action=DUNNO"), "and its lift");
        }
    }

    @Test
    void verdictsReachThePolicyServer() throws IOException {
        awaitReady();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(java.util.Map.of(
                "bootstrap.servers", AgentTestResource.bootstrap), new org.apache.kafka.common.serialization
                .StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
             PolicyClient c = new PolicyClient(policyPort())) {
            Verdict v = new Verdict(Verdict.SCHEMA, "198.51.100.7", Instant.now(), "rep", List.of(
                    new Verdict.Entry(Verdict.CONNECTION_RATE, 100, 60, Instant.now().plusSeconds(600))));
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.VERDICTS, v.subject(),
                    VerdictCodec.encode(v)));
            producer.flush();
            await(() -> ask(c, "198.51.100.7").equals("action=450 4.7.1 Error: too many connections from 198.51.100.7"),
                    "connection-rate verdict answered");
        }
    }

    @Test
    void metricsAndHealthDescribeTheAgent() {
        awaitReady();
        String metrics = RestAssured.get("/q/metrics").asString();
        for (String name : List.of("portcullis_agent_decisions_active", "portcullis_agent_decisions_read_total",
                "portcullis_agent_records_unreadable_total", "portcullis_agent_replayed 1.0",
                "portcullis_agent_export_entries", "portcullis_agent_policy_replies_total{outcome=\"ban\"}",
                "portcullis_agent_policy_refused_total{reason=\"not_allowed\"}")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics.lines().filter(l -> l.contains("agent"))
                    .toList());
        }
        if (AgentTestResource.ns != null) {
            assertTrue(metrics.contains("portcullis_agent_nft_elements"));
            RestAssured.get("/q/health/ready").then().body("checks[0].data.nft", equalTo("in sync"));
        }
        RestAssured.get("/q/health/live").then().statusCode(200).body(containsString("UP"));
    }

    private static String ask(PolicyClient c, String ip) {
        try {
            return c.ask(request(ip));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String exported() {
        try {
            return Files.readString(AgentTestResource.dir.resolve("portcullis.cidr"));
        } catch (IOException e) {
            return "";
        }
    }

    private static void await(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + SETTLE + ": " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
