package dev.portcullis.agent.policy;

import dev.portcullis.agent.LiveSet;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.Origin;
import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpTestClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.agent.TestDecisions.allow;
import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.TestDecisions.lift;
import static dev.portcullis.agent.TestDecisions.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real Postfix on a loopback port with {@code check_policy_service inet:127.0.0.1:PORT} in
 * {@code smtpd_recipient_restrictions}, asking the agent's policy server. Clients come from
 * several loopback addresses.
 */
class PostfixPolicyTest {

    private static Vertx vertx;
    private static LiveSet live;
    private static PolicyServer server;
    private static RealPostfix postfix;

    @BeforeAll
    static void start() {
        assumeTrue(RealPostfix.available(), "needs Postfix and root");
        vertx = Vertx.vertx();
        live = new LiveSet(Clock.systemUTC(), 1000, 1000);
        PolicyResponder responder = new PolicyResponder(live, 25,
                "554 5.7.1 Service unavailable; Client host [$client_address] blocked by Portcullis", "DUNNO", "DUNNO",
                "450 4.7.1 Error: too many connections from $client_address",
                "450 4.7.1 Error: too much mail from $client_address",
                "450 4.7.1 Error: too many recipients from $client_address");
        server = new PolicyServer(vertx, "127.0.0.1", 0, NetworkList.parse("clients", "127.0.0.0/8", Origin.of("t")),
                100, 4096, 65536, 256, Duration.ofSeconds(330), responder);
        int port = server.start();
        postfix = RealPostfix.started(Map.of(
                "smtpd_recipient_restrictions", "check_policy_service inet:127.0.0.1:" + port
                        + ", permit_mynetworks, reject_unauth_destination",
                // no tarpit between the rejections of this test
                "smtpd_error_sleep_time", "0",
                "smtpd_soft_error_limit", "100",
                "smtpd_hard_error_limit", "200"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (server != null) {
            server.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** The reply to RCPT TO:<root@oracle.example> in a session from {@code source}. */
    private static SmtpTestClient.Reply rcptFrom(String source) throws IOException {
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", postfix.port(), source, Duration.ofSeconds(60))) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("EHLO client.example").code());
            assertEquals(250, c.command("MAIL FROM:<sender@example.org>").code());
            SmtpTestClient.Reply r = c.command("RCPT TO:<root@oracle.example>");
            c.command("QUIT");
            return r;
        }
    }

    @Test
    void postfixRefusesBannedClientsAcceptsOthersAndHonoursExceptionsAndLifts() throws IOException {
        publish(live, ban("127.0.0.64/26", null));                 // .64 - .127
        publish(live, allow("127.0.0.77/32", null));               // an exception inside it
        SmtpTestClient.Reply banned = rcptFrom("127.0.0.66");
        assertEquals(554, banned.code(), banned.toString());
        assertEquals("554 5.7.1 <root@oracle.example>: Recipient address rejected: Service unavailable;"
                + " Client host [127.0.0.66] blocked by Portcullis", banned.lastLine());
        assertEquals(250, rcptFrom("127.0.0.77").code(), "the allow decision wins");
        assertEquals(250, rcptFrom("127.0.0.2").code(), "not banned");
        postfix.awaitMaillog(l -> l.contains("NOQUEUE: reject: RCPT from unknown[127.0.0.66]: 554 5.7.1"),
                Duration.ofSeconds(30));

        lift(live, "127.0.0.64/26");
        assertEquals(250, rcptFrom("127.0.0.66").code(), "a lifted ban lets the client in at once");
    }

    @Test
    void postfixDefersClientsOverClusterWideRates() throws IOException {
        Instant later = Instant.now().plusSeconds(600);
        live.verdict("127.0.0.20", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "127.0.0.20", Instant.now(), "rep",
                List.of(new Verdict.Entry(Verdict.RECIPIENT_RATE, 500, 100, later)))), "t");
        SmtpTestClient.Reply r = rcptFrom("127.0.0.20");
        assertEquals(450, r.code(), r.toString());
        assertEquals("450 4.7.1 <root@oracle.example>: Recipient address rejected: Error: too many recipients from"
                + " 127.0.0.20", r.lastLine());
    }

    @Test
    void postfixKeepsItsPolicyConnectionsOpenForManyRequests() throws IOException {
        long requestsBefore = total();
        for (int i = 0; i < 12; i++) {
            assertEquals(250, rcptFrom("127.0.0.3").code());
        }
        long requests = total() - requestsBefore;
        assertTrue(requests >= 12, "one request per RCPT: " + requests);
        assertTrue(server.connections() < total(), "connections " + server.connections() + " for " + total()
                + " requests: Postfix reuses them");
    }

    private static long total() {
        long n = 0;
        for (PolicyResponder.Outcome o : PolicyResponder.Outcome.values()) {
            n += server.replies(o);
        }
        return n;
    }
}
