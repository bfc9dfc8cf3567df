package dev.portcullis.ban;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.InfinispanResource;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service with a real Kafka broker and real clustered Infinispan (testkit): events in, jail
 * trips, decision on the compacted topic and in the grid; the REST API with both tokens; bad input;
 * the decision stream; expiry tombstones; recidive; blocklist reloads and country lists.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = InfinispanResource.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = InfinispanResource.CACHES_ARG, value = "portcullis-bans"))
@QuarkusTestResource(value = BanTestResource.class, restrictToAnnotatedClass = false)
class BanServiceTest {

    static final String ADMIN = "Bearer admin-token";
    static final String READ = "Bearer read-token";
    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RemoteCacheManager grid;

    @TestHTTPResource("/api/v1/decisions/stream")
    URI streamUri;

    static void send(SessionEvent e) {
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.EVENTS, e.meta().clientIp(),
                new String(EventCodec.encode(e), StandardCharsets.UTF_8));
    }

    static List<KafkaRecords.Received> awaitDecision(String cidr, java.util.function.Predicate<String> value) {
        return KafkaRecords.await(KafkaResource.bootstrapServers(), Topics.DECISIONS, rs -> {
            KafkaRecords.Received last = null;
            for (KafkaRecords.Received r : rs) {
                if (cidr.equals(r.key())) {
                    last = r;
                }
            }
            return last != null && value.test(last.value());
        }, WAIT);
    }

    static void awaitReady() {
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").statusCode() == 200);
    }

    @Test
    void eventsTripThePostfixJailAndTheBanIsOnTheTopicAndInTheGrid() {
        awaitReady();
        Instant now = Instant.now();
        send(Events.relayDenied("203.0.113.1", now));
        send(Events.reject("203.0.113.1", now, 450, "4.7.1", "reject_unknown_client_hostname"));
        send(Events.reject("203.0.113.1", now, 550, "5.1.1", "next-hop"));
        awaitDecision("203.0.113.1/32", v -> v != null && v.contains("\"origin\":\"jail:postfix\"")
                && v.contains("\"ports\":[25,465,587]") && v.contains("\"action\":\"BAN\""));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=203.0.113.1&port=25").then().statusCode(200)
                .body("banned", equalTo(true)).body("decision.origin", equalTo("jail:postfix"));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=203.0.113.1&port=80").then().statusCode(200)
                .body("banned", equalTo(false));
        await().atMost(WAIT).until(() -> grid.getCache("portcullis-bans").get("c:203.0.113.1/32") != null);
        String stored = new String((byte[]) grid.getCache("portcullis-bans").get("c:203.0.113.1/32"), StandardCharsets.UTF_8);
        assertTrue(stored.contains("jail:postfix"), stored);
        given().header("Authorization", READ).get("/api/v1/jails/postfix").then().statusCode(200)
                .body("maxretry", equalTo(3)).body("bantime", equalTo("1d")).body("banned", equalTo(1));
    }

    @Test
    void ignoreipIsNeverBanned() {
        awaitReady();
        Instant now = Instant.now();
        for (int i = 0; i < 5; i++) {
            send(Events.relayDenied("198.18.0.9", now));
        }
        await().atMost(WAIT).until(() -> given().header("Authorization", READ).get("/api/v1/jails/postfix")
                .jsonPath().getLong("ignored") >= 5);
        given().header("Authorization", READ).get("/api/v1/decisions?ip=198.18.0.9").then().body("decision", nullValue());
    }

    @Test
    void tokensReadOnlyAndAdmin() {
        awaitReady();
        String body = "{\"cidr\":\"100.64.1.0/24\",\"for\":\"2h\",\"reason\":\"spam run\",\"by\":\"alice\"}";
        given().contentType(ContentType.JSON).body(body).post("/api/v1/bans").then().statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer")).body("error", containsString("missing bearer token"));
        given().header("Authorization", "Bearer nope").get("/api/v1/bans").then().statusCode(401)
                .body("error", equalTo("invalid token"));
        given().header("Authorization", READ).contentType(ContentType.JSON).body(body).post("/api/v1/bans").then()
                .statusCode(403).body("error", containsString("read-only"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(body).post("/api/v1/bans").then()
                .statusCode(201).body("claim.origin", equalTo("manual:alice")).body("decision.action", equalTo("BAN"))
                .body("decision.expires", notNullValue());
        awaitDecision("100.64.1.0/24", v -> v != null && v.contains("spam run"));
        given().header("Authorization", READ).get("/api/v1/bans?origin=manual:").then().statusCode(200)
                .body("claims.cidr", hasItem("100.64.1.0/24"));
        given().header("Authorization", READ).delete("/api/v1/bans/100.64.1.0/24").then().statusCode(403);
        given().header("Authorization", ADMIN).delete("/api/v1/bans/100.64.1.0/24").then().statusCode(200)
                .body("lifted[0].origin", equalTo("manual:alice")).body("decision", nullValue());
        awaitDecision("100.64.1.0/24", v -> v == null);
        given().header("Authorization", ADMIN).delete("/api/v1/bans?cidr=100.64.1.0/24").then().statusCode(404);
        // health, metrics and OpenAPI stay open
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("portcullis_ban_jail_bans"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/api/v1/bans"));
    }

    @Test
    void allowWinsOverABan() {
        awaitReady();
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"cidr\":\"100.64.6.0/24\",\"for\":\"permanent\"}").post("/api/v1/bans").then().statusCode(201)
                .body("decision.expires", nullValue());
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"cidr\":\"100.64.6.7\",\"action\":\"allow\",\"for\":\"1h\",\"reason\":\"our relay\"}")
                .post("/api/v1/bans").then().statusCode(201).body("decision.action", equalTo("ALLOW"));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=100.64.6.7").then()
                .body("banned", equalTo(false)).body("decision.action", equalTo("ALLOW"));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=100.64.6.8").then().body("banned", equalTo(true));
    }

    @Test
    void exceptPortsBanOverRestCoversEveryPortButThose() {
        awaitReady();
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"cidr\":\"100.64.7.0/24\",\"for\":\"1h\",\"exceptPorts\":[443,80,80]}")
                .post("/api/v1/bans").then().statusCode(201)
                .body("decision.ports", equalTo(List.of())).body("decision.exceptPorts", equalTo(List.of(80, 443)));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=100.64.7.9&port=25").then()
                .body("banned", equalTo(true));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=100.64.7.9&port=80").then()
                .body("banned", equalTo(false));
    }

    @Test
    void badInputIs400WithAReason() {
        awaitReady();
        record Case(String body, String reason) {
        }
        for (Case c : List.of(
                new Case("{\"cidr\":\"300.1.2.3\"}", "malformed cidr"),
                new Case("{\"cidr\":\"192.0.2.7/24\"}", "host bits set"),
                new Case("{\"cidr\":\"192.0.2.0/33\"}", "bad prefix length"),
                new Case("{\"cidr\":\"example.com\"}", "malformed cidr"),
                new Case("{}", "cidr is required"),
                new Case("{\"cidr\":\"192.0.2.7\",\"for\":\"-1d\"}", "negative duration"),
                new Case("{\"cidr\":\"192.0.2.7\",\"for\":\"0\"}", "longer than zero"),
                new Case("{\"cidr\":\"192.0.2.7\",\"for\":\"soon\"}", "bad time value"),
                new Case("{\"cidr\":\"192.0.2.7\",\"jail\":\"nosuch\"}", "unknown jail"),
                new Case("{\"cidr\":\"192.0.2.7\",\"action\":\"maybe\"}", "action must be ban or allow"),
                new Case("{\"cidr\":\"192.0.2.7\",\"ports\":[0]}", "not a TCP port"),
                new Case("{\"cidr\":\"192.0.2.7\",\"exceptPorts\":[65536]}", "exceptPorts: 65536 is not a TCP port"),
                new Case("{\"cidr\":\"192.0.2.7\",\"ports\":[25],\"exceptPorts\":[80]}", "exclude each other"),
                new Case("{\"cidr\":\"192.0.2.7\",\"jail\":\"postfix\",\"exceptPorts\":[80]}", "without a jail"),
                new Case("{\"cidr\":\"192.0.2.7\",\"exceptPorts\":\"80\"}", "malformed"),
                new Case("{\"cidr\":\"192.0.2.7\",\"by\":\"a b\"}", "by:"),
                new Case("{\"cidr\":\"192.0.2.7\",\"reason\":\"a\\u0007b\"}", "control characters"),
                new Case("{\"cidr\":", "malformed"),
                new Case("[1,2]", "malformed"))) {
            String error = given().header("Authorization", ADMIN).contentType(ContentType.JSON).body(c.body())
                    .post("/api/v1/bans").then().statusCode(400).contentType(ContentType.JSON).extract().path("error");
            assertNotNull(error, c.body());
            assertTrue(error.contains(c.reason()), c.body() + " -> " + error);
            assertTrue(!error.contains("at dev.") && !error.contains("Exception"), "no stack trace: " + error);
        }
        given().header("Authorization", READ).get("/api/v1/decisions?ip=192.0.2.0/24").then().statusCode(400)
                .body("error", containsString("one address"));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=1.2.3.4&port=70000").then().statusCode(400);
        given().header("Authorization", ADMIN).delete("/api/v1/bans/not-an-ip").then().statusCode(400)
                .body("error", containsString("malformed cidr"));
        given().header("Authorization", READ).get("/api/v1/jails/nosuch").then().statusCode(404);
        given().header("Authorization", READ).get("/api/v1/bans?limit=0").then().statusCode(400);
        // an oversized body is refused before it is read
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"cidr\":\"192.0.2.7\",\"reason\":\"" + "x".repeat(200_000) + "\"}").post("/api/v1/bans")
                .then().statusCode(413);
    }

    @Test
    void expiredBansAreTombstonedByTheServiceAndRecidiveCountsBans() {
        awaitReady();
        send(Events.limit("100.64.2.1", Instant.now(), "test_short_limit"));
        List<KafkaRecords.Received> seen = awaitDecision("100.64.2.1/32", v -> v == null);
        assertTrue(seen.stream().anyMatch(r -> "100.64.2.1/32".equals(r.key()) && r.value() != null
                && r.value().contains("jail:shortlived")), "banned first, then tombstoned");
        // a second short ban trips recidive (2 shortlived bans within a day): a week, every port
        send(Events.limit("100.64.2.1", Instant.now(), "test_short_limit"));
        awaitDecision("100.64.2.1/32", v -> v != null && v.contains("jail:recidive") && v.contains("\"ports\":[]"));
        given().header("Authorization", READ).get("/api/v1/bans?cidr=100.64.2.1").then()
                .body("claims.origin", hasItem("jail:recidive"));
    }

    @Test
    void networkBannedWhenThreeOfItsAddressesAre() {
        awaitReady();
        for (int i = 1; i <= 3; i++) {
            given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                    .body("{\"cidr\":\"100.64.5." + i + "\",\"for\":\"1h\",\"jail\":\"postfix\"}").post("/api/v1/bans")
                    .then().statusCode(201);
        }
        awaitDecision("100.64.5.0/24", v -> v != null && v.contains("network:auto"));
    }

    @Test
    void blocklistsLoadAndReloadWhenTheFileChanges() throws Exception {
        awaitReady();
        awaitDecision("198.51.100.0/25", v -> v != null && v.contains("blocklist:drop"));
        // the country list: 198.51.100.64 + 192 addresses, split in two, on port 25 only
        awaitDecision("198.51.100.128/25", v -> v != null && v.contains("blocklist:country") && v.contains("\"ports\":[25]"));
        given().header("Authorization", ADMIN).delete("/api/v1/bans/198.51.100.0/25").then().statusCode(409)
                .body("error", containsString("blocklist:drop"));
        Files.writeString(BanTestResource.DROP, "203.0.113.128/25\n2001:db8:bad::/48\n");
        awaitDecision("203.0.113.128/25", v -> v != null && v.contains("blocklist:drop"));
        awaitDecision("198.51.100.0/25", v -> v == null);
        long failures = given().get("/q/health/ready").jsonPath().getLong("checks.find { it.name == 'decisions' }.data.listReloadFailures");
        Files.writeString(BanTestResource.DROP, "203.0.113.128/25\nthis is not a network\n");
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").jsonPath()
                .getLong("checks.find { it.name == 'decisions' }.data.listReloadFailures") > failures);
        given().get("/q/health/ready").then().body("checks.find { it.name == 'decisions' }.data.lastBlocklistFailure",
                containsString("drop.txt:2: not an IP address"));
        given().header("Authorization", READ).get("/api/v1/decisions?ip=203.0.113.200").then()
                .body("banned", equalTo(true)).body("decision.origin", equalTo("blocklist:drop"));
        Files.writeString(BanTestResource.DROP, "203.0.113.128/25\n2001:db8:bad::/48\n");
    }

    @Test
    void unreadableEventsAreSkippedAndCounted() {
        awaitReady();
        long before = given().get("/q/health/ready").jsonPath().getLong("checks.find { it.name == 'decisions' }.data.eventsUnreadable");
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.EVENTS, "x", "not json at all");
        KafkaRecords.send(KafkaResource.bootstrapServers(), Topics.EVENTS, "x", "{\"kind\":\"REJECT\",\"meta\":{\"schema\":99}}");
        await().atMost(WAIT).until(() -> given().get("/q/health/ready").jsonPath()
                .getLong("checks.find { it.name == 'decisions' }.data.eventsUnreadable") >= before + 2);
    }

    @Test
    void theStreamSendsTheFullSetThenChanges() throws Exception {
        awaitReady();
        given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                .body("{\"cidr\":\"100.64.4.1\",\"for\":\"1h\"}").post("/api/v1/bans").then().statusCode(201);
        HttpClient http = HttpClient.newHttpClient();
        assertEquals(401, http.send(HttpRequest.newBuilder(streamUri).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode());
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpRequest req = HttpRequest.newBuilder(streamUri).header("Authorization", READ)
                .header("Accept", "text/event-stream").build();
        var response = http.sendAsync(req, HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> {
            try (Stream<String> s = response.get(30, TimeUnit.SECONDS).body()) {
                s.forEach(lines::add);
            } catch (Exception e) {
                lines.add("!" + e);
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            String seen = readUntil(lines, "event:synced");
            assertTrue(seen.contains("100.64.4.1/32"), "the full set first: " + seen);
            given().header("Authorization", ADMIN).contentType(ContentType.JSON)
                    .body("{\"cidr\":\"100.64.4.2\",\"for\":\"1h\",\"reason\":\"streamed\"}").post("/api/v1/bans")
                    .then().statusCode(201);
            assertTrue(readUntil(lines, "streamed").contains("100.64.4.2/32"));
            given().header("Authorization", ADMIN).delete("/api/v1/bans/100.64.4.2").then().statusCode(200);
            String lifted = readUntil(lines, "100.64.4.2/32\"}");
            assertTrue(lifted.contains("event:lifted"), lifted);
            readUntil(lines, ":keep-alive"); // idle streams get a comment line (test profile: every second)
        } finally {
            response.cancel(true);
            reader.interrupt();
        }
    }

    /** Reads SSE lines until one contains {@code marker} (spaces after the colon dropped); all read so far. */
    private static String readUntil(BlockingQueue<String> lines, String marker) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                continue;
            }
            String compact = line.replaceFirst("^(event|data|id):\\s*", "$1:");
            seen.append(compact).append('\n');
            if (compact.contains(marker)) {
                return seen.toString();
            }
        }
        throw new AssertionError("no " + marker + " in the stream; read:\n" + seen);
    }
}
