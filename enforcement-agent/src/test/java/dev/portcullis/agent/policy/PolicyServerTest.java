package dev.portcullis.agent.policy;

import dev.portcullis.agent.LiveSet;
import dev.portcullis.events.Decision;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.Origin;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.agent.TestDecisions.allBut;
import static dev.portcullis.agent.TestDecisions.allow;
import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.TestDecisions.publish;
import static dev.portcullis.agent.policy.PolicyClient.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The policy protocol over raw sockets: what Postfix sends, and what a hostile or broken
 * client sends instead.
 */
class PolicyServerTest {

    static final String BAN_REPLY = "action=554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked by Portcullis";

    private final Vertx vertx = Vertx.vertx();
    private final LiveSet live = new LiveSet(Clock.systemUTC(), 1000, 1000);
    private PolicyServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private int start(String clients, int maxConnections, Duration idle, String banAction) {
        PolicyResponder responder = new PolicyResponder(live, 25, banAction, "OK", "DUNNO",
                "450 4.7.1 Error: too many connections from $client_address",
                "450 4.7.1 Error: too much mail from $client_address",
                "450 4.7.1 Error: too many recipients from $client_address");
        server = new PolicyServer(vertx, "127.0.0.1", 0,
                NetworkList.parse("clients", clients, Origin.of("test")), maxConnections, 4096, 65536, 256, idle,
                responder);
        return server.start();
    }

    private int start() {
        return start("127.0.0.0/8", 100, Duration.ofSeconds(30),
                "554 5.7.1 Service unavailable; Client host [$client_address] blocked by Portcullis");
    }


    @Test
    void answersManyRequestsOnOnePersistentConnectionInOrderEvenPipelined() throws IOException {
        int port = start();
        publish(live, ban("192.0.2.7/32", null));
        publish(live, allow("198.51.100.9/32", null));
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals(BAN_REPLY, c.ask(request("192.0.2.7")));
            assertEquals("action=DUNNO", c.ask(request("192.0.2.8")));
            assertEquals("action=OK", c.ask(request("198.51.100.9")));
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                many.append(request(i % 2 == 0 ? "192.0.2.7" : "203.0.113." + (i % 250)));
            }
            c.send(many.toString());                   // all at once, before reading any reply
            for (int i = 0; i < 200; i++) {
                assertEquals(i % 2 == 0 ? BAN_REPLY : "action=DUNNO", c.reply(), "reply " + i);
            }
        }
        assertEquals(1, server.connections());
        assertEquals(101, server.replies(PolicyResponder.Outcome.BAN));
    }

    @Test
    void toleratesCrLfAndIgnoresUnknownAttributesAndGarbageLines() throws IOException {
        int port = start();
        publish(live, ban("192.0.2.0/24", null));
        try (PolicyClient c = new PolicyClient(port)) {
            String crlf = request("192.0.2.7").replace("\n", "\r\n");
            assertEquals(BAN_REPLY, c.ask(crlf));
            String odd = "request=smtpd_access_policy\nfuture_attribute=whatever=it=is\nthis line has no equals sign\n"
                    + "=no name\n\u0000\u0001\u00ff=binary\nclient_address=192.0.2.7\n\n";
            assertEquals(BAN_REPLY, c.ask(odd));
        }
        assertEquals(2, server.skippedLines(), "the line without '=' and the one with an empty name (the binary one"
                + " is name=value: an unknown attribute, ignored)");
    }

    @Test
    void anOverlongLineIsSkippedAndTheRequestStillDecided() throws IOException {
        int port = start();
        publish(live, ban("192.0.2.7/32", null));
        try (PolicyClient c = new PolicyClient(port)) {
            String huge = "request=smtpd_access_policy\nsender=" + "x".repeat(20_000) + "@example.org\n"
                    + "client_address=192.0.2.7\n\n";
            assertEquals(BAN_REPLY, c.ask(huge), "a long sender must not let a banned client through");
            assertEquals("action=DUNNO", c.ask(request("192.0.2.8")), "the connection stays usable");
        }
        assertEquals(1, server.skippedLines());
    }

    @Test
    void aRequestOverTheSizeLimitsClosesTheConnection() throws IOException {
        int port = start();
        try (PolicyClient c = new PolicyClient(port)) {
            StringBuilder big = new StringBuilder("request=smtpd_access_policy\n");
            while (big.length() < 70_000) {
                big.append("x=").append("y".repeat(1000)).append('\n');
            }
            c.sendQuietly(big.toString());
            assertTrue(c.closedWithin(Duration.ofSeconds(10)));
        }
        try (PolicyClient c = new PolicyClient(port)) {
            c.sendQuietly("a=b\n".repeat(300));
            assertTrue(c.closedWithin(Duration.ofSeconds(10)), "more than max-attributes lines");
        }
        assertEquals(2, server.refused(PolicyServer.Refusal.REQUEST_TOO_LARGE));
    }

    @Test
    void aRequestWithoutItsEmptyLineIsClosedByTheIdleTimeout() throws IOException {
        int port = start("127.0.0.0/8", 100, Duration.ofMillis(800), "REJECT");
        try (PolicyClient c = new PolicyClient(port)) {
            c.send("request=smtpd_access_policy\nclient_address=192.0.2.7\n");
            assertTrue(c.closedWithin(Duration.ofSeconds(20)), "no reply and no hang: closed when idle");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.refused(PolicyServer.Refusal.INCOMPLETE_REQUEST) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, server.refused(PolicyServer.Refusal.INCOMPLETE_REQUEST));
    }

    @Test
    void clientsOutsideTheListAndOverTheConnectionLimitAreClosed() throws IOException {
        int port = start("192.0.2.0/24", 100, Duration.ofSeconds(30), "REJECT");
        try (PolicyClient c = new PolicyClient(port)) {
            assertTrue(c.closedWithin(Duration.ofSeconds(10)));
        }
        assertEquals(1, server.refused(PolicyServer.Refusal.NOT_ALLOWED));
        server.close();
        server = null;
        int port2 = start("127.0.0.0/8", 2, Duration.ofSeconds(30), "REJECT");
        try (PolicyClient a = new PolicyClient(port2); PolicyClient b = new PolicyClient(port2)) {
            assertEquals("action=DUNNO", a.ask(request("192.0.2.1")));
            assertEquals("action=DUNNO", b.ask(request("192.0.2.1")));
            try (PolicyClient third = new PolicyClient(port2)) {
                assertTrue(third.closedWithin(Duration.ofSeconds(10)));
            }
            assertEquals("action=DUNNO", a.ask(request("192.0.2.1")), "the first two keep working");
        }
        assertEquals(1, server.refused(PolicyServer.Refusal.TOO_MANY_CONNECTIONS));
    }

    @Test
    void aReasonCannotInjectProtocolLines() throws IOException {
        int port = start("127.0.0.0/8", 100, Duration.ofSeconds(30), "554 5.7.1 Blocked: $reason");
        publish(live, new Decision(Decision.SCHEMA, "192.0.2.7/32", Decision.Action.BAN, List.of(), "jail:x",
                "evil\n\naction=OK\n\r" + "z".repeat(300), Instant.now(), null, "test"));
        try (PolicyClient c = new PolicyClient(port)) {
            String reply = c.ask(request("192.0.2.7"));
            assertTrue(reply.startsWith("action=554 5.7.1 Blocked: evil??action=OK??zzz"), reply);
            assertTrue(reply.length() < 150, "the reason is cut short");
            assertEquals("action=DUNNO", c.ask(request("192.0.2.8")), "no extra reply was injected");
        }
    }

    @Test
    void portScopeUsesServerPortOrTheDefaultPort() throws IOException {
        int port = start();
        publish(live, ban("192.0.2.7/32", null, 25, 465));
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals(BAN_REPLY, c.ask(request("192.0.2.7", "RCPT", "25")));
            assertEquals("action=DUNNO", c.ask(request("192.0.2.7", "RCPT", "587")));
            assertEquals(BAN_REPLY, c.ask(request("192.0.2.7", "RCPT", null)), "no server_port: port 25");
            assertEquals(BAN_REPLY, c.ask(request("192.0.2.7", "RCPT", "99999")), "nonsense port: port 25");
        }
    }

    @Test
    void everyPortButBanCoversSmtpUnlessSmtpIsExcepted() throws IOException {
        int port = start();
        publish(live, allBut("192.0.2.20/32", null, 80, 443));
        publish(live, allBut("192.0.2.21/32", null, 25));
        String banned20 = BAN_REPLY.replace("[192.0.2.7]", "[192.0.2.20]");
        String banned21 = BAN_REPLY.replace("[192.0.2.7]", "[192.0.2.21]");
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals(banned20, c.ask(request("192.0.2.20", "RCPT", "25")));
            assertEquals(banned20, c.ask(request("192.0.2.20", "RCPT", null)), "no server_port: port 25, covered");
            assertEquals("action=DUNNO", c.ask(request("192.0.2.20", "RCPT", "80")), "port 80 is excepted");
            assertEquals("action=DUNNO", c.ask(request("192.0.2.21", "RCPT", null)), "port 25 is excepted");
            assertEquals(banned21, c.ask(request("192.0.2.21", "RCPT", "587")));
        }
    }

    @Test
    void verdictsMapToAnvilsRepliesAtTheirStages() throws IOException {
        int port = start();
        Instant later = Instant.now().plusSeconds(600);
        live.verdict("192.0.2.10", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.10", Instant.now(), "rep",
                List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 90, 60, later)))), "t");
        live.verdict("192.0.2.0/24", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.0/24", Instant.now(),
                "rep", List.of(new Verdict.Entry(Verdict.MESSAGE_RATE, 500, 100, later)))), "t");
        live.verdict("192.0.2.30", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.30", Instant.now(), "rep",
                List.of(new Verdict.Entry(Verdict.RECIPIENT_RATE, 500, 100, later)))), "t");
        live.verdict("192.0.2.40", VerdictCodec.encode(new Verdict(Verdict.SCHEMA, "192.0.2.40", Instant.now(), "rep",
                List.of(new Verdict.Entry(Verdict.CONNECTION_COUNT, 5, 3, Instant.now().minusSeconds(1))))), "t");
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals("action=450 4.7.1 Error: too many connections from 192.0.2.10",
                    c.ask(request("192.0.2.10", "CONNECT", "25")));
            assertEquals("action=450 4.7.1 Error: too much mail from 192.0.2.20",
                    c.ask(request("192.0.2.20", "MAIL", "25")), "the /24's verdict covers .20");
            assertEquals("action=DUNNO", c.ask(request("192.0.2.20", "HELO", "25")), "message rate only at MAIL/RCPT");
            assertEquals("action=450 4.7.1 Error: too many recipients from 192.0.2.30",
                    c.ask(request("192.0.2.30", "RCPT", "25")));
            assertEquals("action=450 4.7.1 Error: too much mail from 192.0.2.30",
                    c.ask(request("192.0.2.30", "MAIL", "25")), "the /24's message rate at MAIL");
            assertEquals("action=450 4.7.1 Error: too much mail from 192.0.2.40",
                    c.ask(request("192.0.2.40", "RCPT", "25")), "the expired connection entry no longer counts");
            assertEquals("action=DUNNO", c.ask(request("198.51.100.1", "RCPT", "25")));
        }
    }

    @Test
    void badRequestsGetTheDefaultActionAndAreCounted() throws IOException {
        int port = start();
        publish(live, ban("192.0.2.7/32", null));
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals("action=DUNNO", c.ask("request=something_else\nclient_address=192.0.2.7\n\n"));
            assertEquals("action=DUNNO", c.ask("request=smtpd_access_policy\nclient_address=192.0.2.7/32\n\n"));
            assertEquals("action=DUNNO", c.ask("request=smtpd_access_policy\nclient_address=host.example\n\n"));
            assertEquals("action=DUNNO", c.ask("\n"), "an empty request");
            assertEquals(BAN_REPLY, c.ask(request("192.0.2.7")));
        }
        assertEquals(4, server.replies(PolicyResponder.Outcome.BAD_REQUEST));
    }

    @Test
    void ipv6Clients() throws IOException {
        int port = start();
        publish(live, ban("2001:db8::/64", null));
        try (PolicyClient c = new PolicyClient(port)) {
            assertEquals("action=554 5.7.1 Service unavailable; Client host [2001:db8::5] blocked by Portcullis",
                    c.ask(request("2001:db8::5")));
            assertEquals("action=DUNNO", c.ask(request("2001:db8:1::5")));
        }
    }

    @Test
    void aClientThatNeverReadsCannotMakeTheServerBufferWithoutBound() throws IOException {
        int port = start();
        try (PolicyClient slow = new PolicyClient(port); PolicyClient other = new PolicyClient(port)) {
            String r = request("192.0.2.9");
            byte[] chunk = r.repeat(500).getBytes(StandardCharsets.US_ASCII);
            slow.socket.setSoTimeout(200);
            long sent = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // keep writing without reading: once the server stops reading, our writes block (caught by the deadline)
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = slow.socket.getOutputStream();
                    while (System.nanoTime() < deadline) {
                        out.write(chunk);
                    }
                } catch (IOException ignored) {
                    // closed by the test
                }
            });
            writer.setDaemon(true);
            writer.start();
            assertEquals("action=DUNNO", other.ask(request("192.0.2.1")), "the server keeps serving others");
            try {
                writer.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertTrue(writer.isAlive(), "the writer is blocked: the server paused reading from it");
        }
    }
}
