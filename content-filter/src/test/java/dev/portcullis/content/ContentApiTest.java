package dev.portcullis.content;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The REST API on the real service, with real table files and a real main.cf. */
@QuarkusTest
@QuarkusTestResource(value = ContentTestResource.class, restrictToAnnotatedClass = true)
class ContentApiTest {

    static RequestSpecification api() {
        return given().header("Authorization", "Bearer test-token");
    }

    static byte[] msg(String subject, String body) {
        return ("From: a@example.com\r\nTo: b@example.org\r\nSubject: " + subject
                + "\r\nX-Mailer: BadMailer 1.0\r\n\r\n" + body + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static io.restassured.response.ValidatableResponse check(byte[] message) {
        return api().contentType("message/rfc822").body(message)
                .queryParam("sender", "a@example.com").queryParam("rcpt", "b@example.org")
                .queryParam("client", "192.0.2.7").queryParam("helo", "mx.example.com")
                .post("/api/v1/check").then();
    }

    @Test
    void rejectGivesTheRuleAndTheSmtpReply() {
        check(msg("cheap viagra", "hello")).statusCode(200)
                .body("decision", equalTo("REJECT"))
                .body("smtpReply", equalTo("550 5.7.1 No pharmacy spam"))
                .body("reply.code", equalTo(550))
                .body("rule", equalTo(ContentTestResource.dir.resolve("header_checks") + ":2"))
                .body("edits", hasSize(0));
        check(msg("soft", "x")).body("smtpReply", equalTo("451 4.7.1 try again later"));
        check(msg("fine", "click here to win")).body("smtpReply", equalTo("550 5.7.1 body spam"));
    }

    @Test
    void discardAcceptAndRewrites() {
        check(msg("discard me", "x")).body("decision", equalTo("DISCARD")).body("smtpReply", nullValue());
        check(msg("a [tag]", "keep\r\nremove this line\r\nkeep"))
                .body("decision", equalTo("ACCEPT"))
                .body("edits", hasSize(3))
                .body("edits[0].kind", equalTo("REPLACE"))
                .body("edits[0].text", equalTo("Subject: a [tagged]"))
                .body("edits[1].kind", equalTo("DELETE"))
                .body("edits[1].offset", equalTo(58))
                .body("edits[2].kind", equalTo("DELETE"));
        check(msg("hold me", "x")).body("hold", equalTo("needs review"))
                .body("addHeaders", hasItem("X-Portcullis-Hold: needs review"));
        check(msg("unknown", "x")).body("decision", equalTo("ACCEPT"))
                .body("actions[0].action", equalTo("UNKNOWN"))
                .body("actions[0].warning", containsString("unknown command in header_checks map: FROBNICATE"));
    }

    @Test
    void badInputGets4xxWithAReason() {
        api().contentType("message/rfc822").body(new byte[0]).post("/api/v1/check").then()
                .statusCode(400).body("error", containsString("empty message"));
        api().contentType("message/rfc822").body(msg("x", "y")).queryParam("sender", "a\r\nb@x")
                .post("/api/v1/check").then().statusCode(400).body("error", containsString("control character"));
        api().contentType("message/rfc822").body(new byte[200_001]).post("/api/v1/check").then()
                .statusCode(413).body("error", containsString("message_size_limit"));
        api().contentType("application/json").body("{\"line\": \"x\"}").post("/api/v1/test").then()
                .statusCode(400).body("error", containsString("table"));
        api().contentType("application/json").body("{\"table\": \"regexp:/etc/passwd\", \"line\": \"x\"}")
                .post("/api/v1/test").then().statusCode(400).body("error", containsString("no such table"));
        api().contentType("application/json").body("{not json").post("/api/v1/test").then().statusCode(400);
    }

    @Test
    void tokenIsRequired() {
        given().contentType("message/rfc822").body(msg("x", "y")).post("/api/v1/check").then().statusCode(401)
                .body("error", containsString("bearer"));
        given().header("Authorization", "Bearer wrong").get("/api/v1/rules").then().statusCode(401);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200).body(containsString("/api/v1/check"))
                .body(containsString("/api/v1/test")).body(containsString("/api/v1/rules"))
                .body(containsString("bearer"));
    }

    @Test
    void testLooksUpOneLineLikePostmap() {
        api().contentType("application/json").body("{\"table\": \"header_checks\", \"line\": \"Subject: b [tag]\"}")
                .post("/api/v1/test").then().statusCode(200)
                .body("found", equalTo(true))
                .body("value", equalTo("REPLACE Subject: b [tagged]"))
                .body("action", equalTo("REPLACE"))
                .body("rule", equalTo(ContentTestResource.dir.resolve("header_checks") + ":5"));
        api().contentType("application/json").body("{\"table\": \"body_checks\", \"line\": \"nothing\"}")
                .post("/api/v1/test").then().statusCode(200).body("found", equalTo(false));
        String name = "regexp:" + ContentTestResource.dir.resolve("body_checks");
        api().contentType("application/json").body("{\"table\": \"" + name + "\", \"line\": \"click here to win\"}")
                .post("/api/v1/test").then().statusCode(200).body("action", equalTo("REJECT"));
    }

    @Test
    void rulesListsTablesAndMetricsCount() {
        api().get("/api/v1/rules").then().statusCode(200)
                .body("checks.header_checks[0]", equalTo("regexp:" + ContentTestResource.dir.resolve("header_checks")))
                .body("checks.mime_header_checks[0]", equalTo("regexp:" + ContentTestResource.dir.resolve("header_checks")))
                .body("checks.nested_header_checks[0]", equalTo("regexp:" + ContentTestResource.dir.resolve("header_checks")))
                .body("bodyChecksSizeLimit", equalTo(51200))
                .body("tables", hasSize(2))
                .body("tables[0].lastReload", nullValue())
                .body("tables[0].loadedAt", notNullValue());
        check(msg("cheap viagra", "x"));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("portcullis_content_messages_total{decision=\"REJECT\"}"))
                .body(containsString("portcullis_content_actions_total{action=\"REJECT\"}"))
                .body(containsString("portcullis_content_check_seconds"));
    }

    @Test
    void hotReloadKeepsTheLastGoodRules() throws Exception {
        var body = ContentTestResource.dir.resolve("body_checks");
        String name = "regexp:" + body;
        try {
            Files.writeString(body, ContentTestResource.BODY_CHECKS + "/^brand new rule/ REJECT reloaded\n");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    check(msg("fine", "brand new rule")).body("smtpReply", equalTo("550 5.7.1 reloaded")));
            // A broken version: the previous rules stay in force, the error is visible.
            Files.writeString(body, ContentTestResource.BODY_CHECKS + "/unclosed( REJECT broken\n/^brand new rule/ REJECT x\n");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    api().get("/api/v1/rules").then().body("tables.find { it.name == '" + name + "' }.error",
                            containsString(body + ":3")));
            check(msg("fine", "brand new rule")).body("smtpReply", equalTo("550 5.7.1 reloaded"));
            given().get("/q/health/ready").then().statusCode(200).body(containsString(body + ":3"));
        } finally {
            Files.writeString(body, ContentTestResource.BODY_CHECKS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    check(msg("fine", "brand new rule")).body("decision", equalTo("ACCEPT")));
        }
        api().get("/api/v1/rules").then().body("tables.find { it.name == '" + name + "' }.error", nullValue());
    }
}
