package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real edge from a main.cf text, relaying to {@code nextHop}, built by hand (no Quarkus, no
 * Kafka): its mail log goes to {@code maillog}, its session events to {@link #events()}.
 */
final class HandBuiltEdge implements AutoCloseable {

    private final List<SessionEvent> events = new CopyOnWriteArrayList<>();
    private final Vertx vertx = Vertx.vertx();
    private final MailLog log;
    private final SmtpServer server;

    HandBuiltEdge(String mainCf, String nextHop, Path maillog) throws Exception {
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(mainCf, "test-main.cf").parameters(), nextHop,
                "hand-built");
        log = new MailLog(maillog, "postfix", "edge.portcullis.test", Clock.systemUTC());
        server = new SmtpServer(HandBuiltServices.build(vertx, settings, new ClusterVerdicts(Clock.systemUTC(), 100),
                HandBuiltServices.noBans(), events::add, log, Duration.ofSeconds(10)), "127.0.0.1", 0);
        server.start(1).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The same from main.cf parameters (name to value, in their order), as the side-by-side tests keep them. */
    HandBuiltEdge(Map<String, String> mainCf, String nextHop, Path maillog) throws Exception {
        this(mainCf.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n")),
                nextHop, maillog);
    }

    int port() {
        return server.port();
    }

    List<SessionEvent> events() {
        return events;
    }

    @Override
    public void close() throws Exception {
        server.stop(Duration.ofSeconds(1));
        log.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
