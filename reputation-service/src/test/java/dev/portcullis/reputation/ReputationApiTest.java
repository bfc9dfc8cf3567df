package dev.portcullis.reputation;

import dev.portcullis.events.SessionEvent;
import dev.portcullis.testkit.InfinispanResource;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Events in through the real broker, counts out over REST from the real clustered grid. */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(value = InfinispanResource.class,
        initArgs = @ResourceArg(name = InfinispanResource.CACHES_ARG, value = "portcullis-reputation"))
@WithTestResource(ReputationTestResource.class)
class ReputationApiTest {

    static final String TOKEN = "Bearer test-token";
    static Events events;

    @BeforeAll
    static void producer() {
        events = new Events();
    }

    @AfterAll
    static void closeProducer() {
        events.close();
    }

    static Response get(String path) {
        return given().header("Authorization", TOKEN).when().get(path);
    }

    /** Polls a client's counter in a window until it reaches {@code expected}. */
    static void awaitCount(String ip, String window, String counter, long expected) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertEquals(expected, get("/api/v1/reputation/" + ip).then().statusCode(200).extract()
                        .jsonPath().getLong("windows.'" + window + "'.counts." + counter), ip + " " + counter));
    }

    @Test
    void eventsFromSeveralEdgesAreCountedOnceForTheClientAndItsNetwork() {
        String ip = "127.10.0.1";
        events.delivered("edge-a", ip);
        events.delivered("edge-b", ip);
        String s = Events.newSession();
        events.send(new SessionEvent.Connect(Events.meta("edge-b", s, ip), 1, "x"),
                new SessionEvent.Reject(Events.meta("edge-b", s, ip), "RCPT", 550, "5.1.1", "reject_unlisted_recipient",
                        "User unknown", "a@example.org", "nobody@example.com"),
                new SessionEvent.Error(Events.meta("edge-b", s, ip), "BOGUS", 500, "5.5.2", "command not recognized", 2),
                new SessionEvent.Tarpit(Events.meta("edge-b", s, ip), 1000, 2));
        awaitCount(ip, "60s", "tarpitMillis", 1000);

        Response r = get("/api/v1/reputation/" + ip);
        r.then().statusCode(200)
                .body("ip", equalTo(ip))
                .body("known", equalTo(true))
                .body("openSessions", equalTo(1)) // the third session never disconnected
                .body("windows.'600s'.counts.connections", equalTo(3))
                .body("windows.'600s'.counts.delivered", equalTo(2))
                .body("windows.'600s'.counts.messages", equalTo(2))
                .body("windows.'600s'.counts.recipients", equalTo(3))
                .body("windows.'600s'.counts.errors", equalTo(2))
                .body("windows.'600s'.counts.rejects", equalTo(1))
                .body("windows.'600s'.counts.unknownRecipients", equalTo(1))
                .body("windows.'600s'.rejectsByCheck.reject_unlisted_recipient", equalTo(1))
                .body("windows.'600s'.rejectsByCode.'550'", equalTo(1))
                // 2 delivered - 2 errors - 2 x 1 unknown recipient
                .body("score", equalTo(-2))
                .body("scoreWindow", equalTo("600s"))
                .body("network.network", equalTo("127.10.0.0/24"))
                .body("network.windows.'600s'.counts.connections", equalTo(3));

        // Another address of the same /24 adds to the network, not to the first client.
        events.delivered("edge-c", "127.10.0.99");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                get("/api/v1/reputation/network/127.10.0.0/24").then().statusCode(200)
                        .body("windows.'600s'.counts.connections", equalTo(4))
                        .body("windows.'600s'.counts.delivered", equalTo(3)));
        get("/api/v1/reputation/" + ip).then().body("windows.'600s'.counts.connections", equalTo(3));
        // A /16 sums its /24s.
        get("/api/v1/reputation/network/127.10.0.0/16").then().statusCode(200)
                .body("subnets", equalTo(256))
                .body("windows.'600s'.counts.connections", equalTo(4));
    }

    @Test
    void anUnknownClientIsAnsweredWithZeroes() {
        get("/api/v1/reputation/2001:db8::77").then().statusCode(200)
                .body("ip", equalTo("2001:db8::77"))
                .body("known", equalTo(false))
                .body("score", equalTo(0))
                .body("network.network", equalTo("2001:db8::/64"));
        // The same address written out in full is the same client.
        get("/api/v1/reputation/2001:0db8:0:0:0:0:0:77").then().statusCode(200).body("ip", equalTo("2001:db8::77"));
    }

    @Test
    void ipv6ClientsAreCountedUnderTheirCanonicalForm() {
        String s = Events.newSession();
        events.send(new SessionEvent.Connect(Events.meta("edge-a", s, "2001:db8:0:0:0:0:0:5"), 1, "x"));
        awaitCount("2001:db8::5", "60s", "connections", 1);
    }

    @Test
    void malformedInputGets400WithAReason() {
        get("/api/v1/reputation/not-an-ip").then().statusCode(400).body("error", containsString("not an IP address"));
        get("/api/v1/reputation/example.com").then().statusCode(400);
        get("/api/v1/reputation/10.0.0.0%2F8").then().statusCode(400);
        get("/api/v1/reputation/network/10.0.0.1").then().statusCode(400).body("error", containsString("CIDR"));
        get("/api/v1/reputation/network/10.0.0.0/33").then().statusCode(400);
        get("/api/v1/reputation/network/10.0.0.0/28").then().statusCode(400).body("error", containsString("/24"));
        get("/api/v1/reputation/network/10.0.0.0/8").then().statusCode(400).body("error", containsString("/16"));
        get("/api/v1/reputation?top=0").then().statusCode(400).body("error", containsString("top"));
        get("/api/v1/reputation?top=1000").then().statusCode(400);
        get("/api/v1/reputation?top=ten").then().statusCode(400);
        get("/api/v1/reputation?by=karma").then().statusCode(400).body("error", containsString("by must be"));
        get("/api/v1/reputation?window=7s").then().statusCode(400).body("error", containsString("60s, 600s"));
        // Untrusted input echoed back is printable and short.
        String body = get("/api/v1/reputation?by=" + "x".repeat(500)).then().statusCode(400).extract().asString();
        assertTrue(body.length() < 300, body);
    }

    @Test
    void theApiNeedsTheToken() {
        given().when().get("/api/v1/reputation/127.0.0.1").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", containsString("missing bearer token"));
        given().header("Authorization", "Bearer wrong").when().get("/api/v1/reputation/127.0.0.1").then()
                .statusCode(401).body("error", equalTo("invalid token"));
        given().header("Authorization", "Basic dGVzdA==").when().get("/api/v1/reputation?top=3").then().statusCode(401);
        given().when().get("/q/health/ready").then().statusCode(200);
        given().when().get("/q/openapi").then().statusCode(200).body(containsString("/api/v1/reputation/{ip}"));
    }

    @Test
    void topListsTheWorstOffenders() {
        for (int i = 0; i < 6; i++) {
            String s = Events.newSession();
            events.send(new SessionEvent.Connect(Events.meta("edge-a", s, "127.10.1.1"), 1, "x"),
                    new SessionEvent.Error(Events.meta("edge-a", s, "127.10.1.1"), "BOGUS", 500, "5.5.2", "x", 1),
                    new SessionEvent.Disconnect(Events.meta("edge-a", s, "127.10.1.1"), "quit", 1, 1, 0, Map.of()));
        }
        String s = Events.newSession();
        events.send(new SessionEvent.Connect(Events.meta("edge-b", s, "127.10.1.2"), 1, "x"),
                new SessionEvent.Error(Events.meta("edge-b", s, "127.10.1.2"), "BOGUS", 500, "5.5.2", "x", 1));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Response r = get("/api/v1/reputation?top=100&by=errors&window=60s");
            r.then().statusCode(200).body("by", equalTo("errors")).body("window", equalTo("60s"));
            java.util.List<String> ips = r.jsonPath().getList("offenders.ip");
            assertTrue(ips.indexOf("127.10.1.1") >= 0 && ips.indexOf("127.10.1.2") > ips.indexOf("127.10.1.1"), ips::toString);
        });
        Response r = get("/api/v1/reputation?top=100&by=errors&window=1m");
        assertEquals(6, r.jsonPath().getLong("offenders.find { it.ip == '127.10.1.1' }.value"));
        Response score = get("/api/v1/reputation?top=100&by=score");
        java.util.List<Integer> scores = score.jsonPath().getList("offenders.value");
        for (int i = 1; i < scores.size(); i++) {
            assertTrue(scores.get(i - 1) <= scores.get(i), "lowest score first: " + scores);
        }
    }
}
