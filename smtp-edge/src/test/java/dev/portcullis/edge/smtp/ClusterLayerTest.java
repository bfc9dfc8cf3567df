package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpTestClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster layer of the session, on a server built by hand with a verdict table filled
 * directly (no Quarkus, no Kafka; the bus side is ClusterVerdictTest's): anvil exceptions,
 * the local anvil checked first and always counting, carried errors for every client. The
 * next hop is a closed port: nothing here gets as far as relaying.
 */
class ClusterLayerTest {

    private Vertx vertx;
    private SmtpServer server;
    private MailLog log;
    private Path logFile;
    private ClusterVerdicts table;
    private final List<SessionEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(String.join("\n",
                "myhostname = cluster.example", "mydestination = ours.example", "mynetworks = 192.0.2.0/24",
                "smtpd_client_event_limit_exceptions = 127.78.1.0/24",
                "smtpd_client_connection_rate_limit = 2",
                "smtpd_error_sleep_time = 0", "smtpd_soft_error_limit = 3", "smtpd_hard_error_limit = 6"),
                "cluster-test.cf").parameters(), "127.0.0.1:" + FreePort.find(), "cluster-test");
        logFile = Files.createTempFile("cluster", ".maillog");
        log = new MailLog(logFile, "postfix", "cluster.example", Clock.systemUTC());
        table = new ClusterVerdicts(Clock.systemUTC(), 1000);
        SessionServices services = HandBuiltServices.build(vertx, settings, table,
                HandBuiltServices.noBans(), events::add, log, Duration.ofSeconds(2));
        server = new SmtpServer(services, "127.0.0.1", 0);
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

    private void verdict(String subject, String... limits) {
        Instant until = Instant.now().plusSeconds(600);
        table.apply(subject, new Verdict(Verdict.SCHEMA, subject, Instant.now(), "test",
                Arrays.stream(limits).map(l -> new Verdict.Entry(l, 999, 1, until)).toList()));
    }

    private SmtpTestClient open(String from) throws Exception {
        return SmtpTestClient.connect("127.0.0.1", server.port(), from, Duration.ofSeconds(10));
    }

    private List<String> awaitLog(String needle, int count) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(logFile).stream()
                .filter(l -> l.contains(needle)).count() >= count);
        return Files.readAllLines(logFile);
    }

    @Test
    void clientsInTheAnvilExceptionsAreExemptFromClusterRateAndConnectionVerdicts() throws Exception {
        String[] anvil = {Verdict.CONNECTION_COUNT, Verdict.CONNECTION_RATE, Verdict.MESSAGE_RATE,
                Verdict.RECIPIENT_RATE};
        verdict("127.78.1.0/24", anvil);
        verdict("127.78.2.0/24", anvil);
        try (SmtpTestClient c = open("127.78.1.5")) {
            assertEquals(220, c.readReply().code(), "exempt: not refused at connect");
            assertEquals(250, c.command("EHLO client.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code(), "exempt: no 450 at MAIL");
            SmtpTestClient.Reply rcpt = c.command("RCPT TO:<user@ours.example>");
            assertNotEquals(450, rcpt.code(), "exempt: no 450 at RCPT (the closed next hop answers): " + rcpt);
        }
        try (SmtpTestClient c = open("127.78.2.5")) {
            SmtpTestClient.Reply r = c.readReply();
            assertEquals(421, r.code(), "the same verdict for a client that is not exempt: " + r);
            assertTrue(r.lastLine().endsWith("4.7.0 cluster.example Error: too many connections from 127.78.2.5"));
        }
    }

    @Test
    void carriedErrorsApplyToExemptClientsToo() throws Exception {
        verdict("127.78.1.6", Verdict.CARRIED_ERRORS);
        try (SmtpTestClient c = open("127.78.1.6")) {
            assertEquals(220, c.readReply().code());
            assertEquals(500, c.command("BOGUS").code());
            SmtpTestClient.Reply bye = c.readReply();
            assertEquals(421, bye.code(), "one error past the carried ones reaches the hard limit: " + bye);
            assertTrue(bye.lastLine().endsWith("4.7.0 cluster.example Error: too many errors"), bye.toString());
        }
    }

    @Test
    void theLocalAnvilIsAskedFirstAndCountsConnectionsTheClusterRefused() throws Exception {
        // Local limit: 2 connections per unit. The cluster refuses from the first.
        verdict("127.78.3.1", Verdict.CONNECTION_RATE);
        for (int i = 0; i < 3; i++) {
            try (SmtpTestClient c = open("127.78.3.1")) {
                assertEquals(421, c.readReply().code(), "connection " + (i + 1));
                assertTrue(c.awaitClose(Duration.ofSeconds(5)));
            }
        }
        List<String> lines = awaitLog("limit exceeded", 3);
        List<String> warnings = lines.stream().filter(l -> l.contains("limit exceeded")).toList();
        assertEquals(3, warnings.size(), String.join("\n", lines));
        assertTrue(warnings.get(0).endsWith("warning: Connection rate limit exceeded: 999 from unknown[127.78.3.1]"
                + " for service smtp (cluster-wide)"), warnings.get(0));
        assertTrue(warnings.get(1).endsWith("(cluster-wide)"), warnings.get(1));
        // The third is over the local limit: the local anvil counted the two the cluster refused.
        assertTrue(warnings.get(2).endsWith("warning: Connection rate limit exceeded: 3 from unknown[127.78.3.1]"
                + " for service smtp"), warnings.get(2));
        List<SessionEvent.Limit> limits = events.stream().filter(e -> e instanceof SessionEvent.Limit)
                .map(e -> (SessionEvent.Limit) e).toList();
        assertEquals(List.of(999L, 999L, 3L), limits.stream().map(SessionEvent.Limit::value).toList());
        assertTrue(limits.stream().allMatch(l -> l.limit().equals(Verdict.CONNECTION_RATE)));
    }
}
