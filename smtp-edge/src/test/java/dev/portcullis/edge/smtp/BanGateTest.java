package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpTestClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Banned clients refused at connect, on a hand-built server whose decision table the test
 * fills directly (the bus side is DecisionBusTest's): the reply or a silent close, allows
 * winning over bans, port scopes, expiry without a tombstone, and that a refused client never
 * takes a session slot.
 */
class BanGateTest {

    private Vertx vertx;
    private SmtpServer server;
    private MailLog log;
    private Path logFile;
    private final DecisionTable decisions = new DecisionTable(1000);
    private final List<SessionEvent> events = new CopyOnWriteArrayList<>();

    private void start(BanGate.Action action, String... mainCf) throws Exception {
        vertx = Vertx.vertx();
        String cf = String.join("\n", "myhostname = ban.example", "mydestination = ours.example",
                "mynetworks = 192.0.2.0/24", "smtpd_client_event_limit_exceptions =") + "\n" + String.join("\n", mainCf);
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(cf, "ban-test.cf").parameters(),
                "127.0.0.1:" + FreePort.find(), "ban-test");
        logFile = Files.createTempFile("ban", ".maillog");
        log = new MailLog(logFile, "postfix", "ban.example", Clock.systemUTC());
        server = new SmtpServer(HandBuiltServices.build(vertx, settings, new ClusterVerdicts(Clock.systemUTC(), 100),
                new BanGate(decisions, action, 25, Clock.systemUTC()), events::add, log, Duration.ofSeconds(2)),
                "127.0.0.1", 0);
        server.start(2).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
        if (log != null) {
            log.close();
            Files.deleteIfExists(logFile);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Decision decision(String cidr, Decision.Action action, Instant expires, Integer... ports) {
        return new Decision(Decision.SCHEMA, cidr, action, List.of(ports), "jail:postfix", "3 rejects", Instant.now(),
                expires, "ban-test");
    }

    private SmtpTestClient open(String from) throws Exception {
        return SmtpTestClient.connect("127.0.0.1", server.port(), from, Duration.ofSeconds(10));
    }

    @Test
    void aBannedClientGetsThe554AndIsClosedBeforeAnythingElse() throws Exception {
        start(BanGate.Action.REPLY);
        decisions.put(decision("127.79.1.0/24", Decision.Action.BAN, Instant.now().plusSeconds(600)));
        try (SmtpTestClient c = open("127.79.1.9")) {
            SmtpTestClient.Reply r = c.readReply();
            assertEquals(554, r.code(), r.toString());
            assertEquals("554 5.7.1 Service unavailable; Client host [127.79.1.9] blocked", r.lastLine());
            assertTrue(c.awaitClose(Duration.ofSeconds(5)), "closed after the 554");
        }
        try (SmtpTestClient c = open("127.79.2.9")) {
            assertEquals(220, c.readReply().code(), "a client outside the banned network is served");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(logFile).stream().anyMatch(l -> l.contains(
                "NOQUEUE: reject: CONNECT from unknown[127.79.1.9]: 554 5.7.1 Service unavailable; Client host "
                        + "[127.79.1.9] blocked; jail:postfix until")));
        SessionEvent.Reject reject = events.stream().filter(e -> e instanceof SessionEvent.Reject)
                .map(e -> (SessionEvent.Reject) e).filter(e -> e.meta().clientIp().equals("127.79.1.9"))
                .findFirst().orElseThrow();
        assertEquals("CONNECT", reject.stage());
        assertEquals(BanGate.CHECK, reject.check());
        assertEquals(554, reject.code());
        assertTrue(events.stream().noneMatch(e -> e instanceof SessionEvent.Connect
                && e.meta().clientIp().equals("127.79.1.9")), "no session was started for the banned client");
        assertTrue(Files.readAllLines(logFile).stream().noneMatch(l -> l.contains("connect from unknown[127.79.1.9]")));
    }

    @Test
    void closeActionSaysNothing() throws Exception {
        start(BanGate.Action.CLOSE);
        decisions.put(decision("127.79.3.3/32", Decision.Action.BAN, null));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.79.3.3"), 0));
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            assertEquals(-1, readAll(in), "closed without a byte");
        }
    }

    private static int readAll(InputStream in) throws IOException {
        int b = in.read();
        if (b != -1) {
            byte[] rest = in.readNBytes(200);
            throw new AssertionError("got bytes: " + (char) b + new String(rest, StandardCharsets.US_ASCII));
        }
        return b;
    }

    @Test
    void anAllowWinsAPortScopeAppliesAndAnExpiredBanStopsAtOnce() throws Exception {
        start(BanGate.Action.REPLY);
        decisions.put(decision("127.79.4.0/24", Decision.Action.BAN, null));
        decisions.put(decision("127.79.4.7/32", Decision.Action.ALLOW, null));
        decisions.put(decision("127.79.5.0/24", Decision.Action.BAN, null, 80, 443));
        decisions.put(decision("127.79.6.6/32", Decision.Action.BAN, Instant.now().minusSeconds(1)));
        try (SmtpTestClient c = open("127.79.4.7")) {
            assertEquals(220, c.readReply().code(), "the allow of the /32 wins over the /24 ban");
        }
        try (SmtpTestClient c = open("127.79.4.8")) {
            assertEquals(554, c.readReply().code());
        }
        try (SmtpTestClient c = open("127.79.5.5")) {
            assertEquals(220, c.readReply().code(), "a ban of ports 80 and 443 does not cover SMTP on 25");
        }
        try (SmtpTestClient c = open("127.79.6.6")) {
            assertEquals(220, c.readReply().code(), "expired, though no tombstone came");
        }
    }

    @Test
    void aFloodOfBannedConnectionsTakesNoSessionSlot() throws Exception {
        start(BanGate.Action.REPLY, "default_process_limit = 2");
        decisions.put(decision("127.79.7.0/24", Decision.Action.BAN, null));
        try (SmtpTestClient a = open("127.79.8.1"); SmtpTestClient b = open("127.79.8.2")) {
            assertEquals(220, a.readReply().code());
            assertEquals(220, b.readReply().code());
            for (int i = 0; i < 50; i++) {
                try (SmtpTestClient banned = open("127.79.7." + (1 + i % 200))) {
                    assertEquals(554, banned.readReply().code(), "banned, not 421 all ports busy");
                }
            }
            assertEquals(2, server.activeSessions());
        }
    }
}
