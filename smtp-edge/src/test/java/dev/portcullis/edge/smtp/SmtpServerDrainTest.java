package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIGTERM drain, on a server built by hand (no Quarkus): the listener closes at once,
 * idle sessions are told 421 and closed, a message in flight may finish within the grace.
 */
class SmtpServerDrainTest {

    private Vertx vertx;
    private SmtpSink sink;
    private SmtpServer server;
    private MailLog log;
    private Path logFile;
    private final List<SessionEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not installed");
        vertx = Vertx.vertx();
        sink = new SmtpSink().start();
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(String.join("\n",
                "myhostname = drain.example", "mydestination = ours.example", "mynetworks = 192.0.2.0/24",
                "smtpd_client_event_limit_exceptions ="), "drain-test.cf").parameters(),
                "127.0.0.1:" + sink.port(), "drain-test");
        logFile = Files.createTempFile("drain", ".maillog");
        log = new MailLog(logFile, "postfix", "drain.example", Clock.systemUTC());
        SessionServices services = HandBuiltServices.build(vertx, settings, new ClusterVerdicts(Clock.systemUTC(), 1000),
                HandBuiltServices.noBans(), events::add, log, Duration.ofSeconds(5));
        server = new SmtpServer(services, "127.0.0.1", 0);
        server.start(2).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (log != null) {
            log.close();
            Files.deleteIfExists(logFile);
        }
        if (sink != null) {
            sink.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void drainTellsIdleSessionsAndLetsATransactionFinish() throws Exception {
        int port = server.port();
        SmtpTestClient idle = SmtpTestClient.connect("127.0.0.1", port, "127.0.14.1", Duration.ofSeconds(10));
        SmtpTestClient busy = SmtpTestClient.connect("127.0.0.1", port, "127.0.14.2", Duration.ofSeconds(10));
        try (idle; busy) {
            assertEquals(220, idle.readReply().code());
            assertEquals(220, busy.readReply().code());
            busy.command("EHLO client.example");
            busy.command("MAIL FROM:<a@example.org>");
            assertEquals(250, busy.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, busy.command("DATA").code());

            Thread drainer = new Thread(() -> server.stop(Duration.ofSeconds(5)), "drain");
            drainer.start();
            // The idle client is told to go at once.
            SmtpTestClient.Reply bye = idle.readReply();
            assertEquals(421, bye.code());
            assertTrue(bye.lastLine().endsWith("4.3.2 drain.example Service shutting down"), bye.toString());
            assertTrue(idle.awaitClose(Duration.ofSeconds(5)));
            // A new client is turned away with a proper reply, not a refused connection.
            try (SmtpTestClient late = SmtpTestClient.connect("127.0.0.1", port, "127.0.14.3", Duration.ofSeconds(10))) {
                SmtpTestClient.Reply r = late.readReply();
                assertEquals(421, r.code(), r.toString());
                assertTrue(late.awaitClose(Duration.ofSeconds(5)));
            }
            // The message in flight still completes and is relayed.
            busy.sendRaw("Subject: drain-marker\r\n\r\nbody\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, busy.readReply().code());
            // Then it is told to go, like the idle one.
            assertEquals(421, busy.readReply().code());
            assertTrue(busy.awaitClose(Duration.ofSeconds(5)));
            drainer.join(10_000);
        }
        assertTrue(new String(sink.awaitMessages(1, Duration.ofSeconds(5)).get(0), StandardCharsets.ISO_8859_1)
                .contains("drain-marker"));
        assertTrue(events.stream().anyMatch(e -> e instanceof SessionEvent.Accepted));
    }
}
