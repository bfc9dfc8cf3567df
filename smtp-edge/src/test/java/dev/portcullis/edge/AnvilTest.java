package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.portcullis.edge.SmtpProtocolTest.assertReply;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge's local anvil with Postfix's replies (test main.cf: connection count 20, rate 30,
 * message rate 40, recipient rate 100 per 60 s), each test from its own 127.x address.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class AnvilTest {

    @Inject
    EdgeApplication edge;

    private SmtpTestClient open(String from) throws Exception {
        return SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), from, Duration.ofSeconds(10));
    }

    @Test
    void connectionCountLimitRefusesTheNextConcurrentSession() throws Exception {
        List<SmtpTestClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                SmtpTestClient c = open("127.0.12.1");
                held.add(c);
                assertEquals(220, c.readReply().code(), "session " + (i + 1));
            }
            try (SmtpTestClient over = open("127.0.12.1")) {
                assertReply(over.readReply(), 421, "4.7.0 edge.portcullis.test Error: too many connections from 127.0.12.1");
                assertTrue(over.awaitClose(Duration.ofSeconds(5)));
            }
            try (SmtpTestClient other = open("127.0.12.2")) {
                assertEquals(220, other.readReply().code(), "another client is not affected");
            }
        } finally {
            for (SmtpTestClient c : held) {
                c.close();
            }
        }
    }

    @Test
    void connectionRateLimitCountsEveryConnectionInTheWindow() throws Exception {
        for (int i = 0; i < 30; i++) {
            try (SmtpTestClient c = open("127.0.12.3")) {
                assertEquals(220, c.readReply().code(), "connection " + (i + 1));
            }
        }
        try (SmtpTestClient c = open("127.0.12.3")) {
            assertReply(c.readReply(), 421, "4.7.0 edge.portcullis.test Error: too many connections from 127.0.12.3");
        }
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(containsString("portcullis_edge_limits_total{limit=\"smtpd_client_connection_rate_limit\"}"))
                .body(containsString("portcullis_edge_sessions_active"));
    }

    @Test
    void messageRateLimitAnswersAtMail() throws Exception {
        try (SmtpTestClient c = open("127.0.12.4")) {
            c.readReply();
            c.command("EHLO client.example");
            // Forty real deliveries (RSET would be a junk command and end in the tarpit).
            for (int i = 0; i < 40; i++) {
                assertEquals(250, c.command("MAIL FROM:<a@example.org>").code(), "MAIL " + (i + 1));
                assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
                assertEquals(354, c.command("DATA").code());
                c.sendRaw("Subject: rate\r\n\r\nx\r\n.\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertEquals(250, c.readReply().code());
            }
            assertReply(c.command("MAIL FROM:<a@example.org>"), 450, "4.7.1 Error: too much mail from 127.0.12.4");
        }
    }
}
