package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.SmtpSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A hand-built edge on 127.0.0.1 (ephemeral port) for session tests: main.cf lines on top of
 * a small base (loopback not in mynetworks, no anvil exceptions), a decision table the test
 * fills, a verdict table likewise, the events it published, its mail log and its metrics registry.
 */
final class TestEdge implements AutoCloseable {

    final Vertx vertx = Vertx.vertx();
    final DecisionTable decisions = new DecisionTable(1000);
    final ClusterVerdicts verdicts = new ClusterVerdicts(Clock.systemUTC(), 100);
    final List<SessionEvent> events = new CopyOnWriteArrayList<>();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final Path logFile;
    final MailLog log;
    final SmtpServer server;

    /** @param nextHopPort where accepted mail goes (an {@link SmtpSink}'s port, or any free port) */
    TestEdge(int nextHopPort, String... mainCf) throws Exception {
        String cf = String.join("\n", "myhostname = edge.example", "mydestination = ours.example",
                "mynetworks = 192.0.2.0/24", "smtpd_client_event_limit_exceptions =") + "\n"
                + String.join("\n", mainCf) + "\n";
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(cf, "test-edge.cf").parameters(),
                "127.0.0.1:" + nextHopPort, "test-edge");
        logFile = Files.createTempFile("test-edge", ".maillog");
        log = new MailLog(logFile, "postfix", "edge.example", Clock.systemUTC());
        server = new SmtpServer(HandBuiltServices.build(vertx, settings, verdicts,
                new BanGate(decisions, BanGate.Action.REPLY, 25, Clock.systemUTC()), ContentCheck.NONE, events::add,
                log, Duration.ofSeconds(5), new EdgeMetrics(registry)), "127.0.0.1", 0);
        server.start(1).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    int port() {
        return server.port();
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    List<String> logLines() throws IOException {
        return Files.readAllLines(logFile);
    }

    String awaitLog(Predicate<String> line) {
        String[] found = new String[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            found[0] = logLines().stream().filter(line).findFirst().orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    @Override
    public void close() throws Exception {
        server.stop(Duration.ofSeconds(1));
        log.close();
        Files.deleteIfExists(logFile);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
