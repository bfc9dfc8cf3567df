package dev.portcullis.e2e;

import dev.portcullis.events.Topics;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.InfinispanCluster;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.QuarkusApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * The real thing on loopback, for one test class: a Kafka broker (child JVM) with the bus
 * topics, a 2-node Infinispan cluster (this JVM) with the counts cache, a reputation-service
 * and any number of smtp-edges (child JVMs of their packaged jars), all on 127.0.0.1 and free
 * ports, all reading one {@code main.cf}. {@link #close()} stops everything it started, in
 * reverse order, whatever failed.
 */
final class Fleet implements AutoCloseable {

    /** The reputation API's bearer token. */
    static final String TOKEN = "e2e-token";
    /** The grid cache the reputation service keeps its counts in. */
    static final String CACHE = "portcullis-reputation";

    final Path dir;
    final Path mainCf;
    KafkaBroker kafka;
    InfinispanCluster grid;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    private Fleet(Path dir, Path mainCf) {
        this.dir = dir;
        this.mainCf = mainCf;
    }

    /**
     * Writes {@code mainCf} to {@code target/e2e/<name>/main.cf}, then starts the broker (with
     * {@code portcullis.events} in 6 partitions, {@code portcullis.verdicts} in 3 and
     * {@code portcullis.decisions} in 3, both compacted) and the grid side by side.
     */
    static Fleet start(String name, String mainCf) {
        Path dir = Builds.freshDir(name);
        Path file = dir.resolve("main.cf");
        try {
            Files.writeString(file, mainCf, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Fleet fleet = new Fleet(dir, file);
        try {
            CompletableFuture<KafkaBroker> kafka = CompletableFuture.supplyAsync(
                    () -> KafkaBroker.builder().home(dir.resolve("kafka")).start());
            try {
                fleet.grid = fleet.closing(InfinispanCluster.create()).start();
                fleet.grid.defineDistributedCache(CACHE);
            } finally {
                // whatever happened to the grid, the broker is ours to close
                fleet.kafka = fleet.closing(kafka.join());
            }
            fleet.kafka.createTopic(Topics.EVENTS, 6, false);
            fleet.kafka.createTopic(Topics.VERDICTS, 3, true);
            fleet.kafka.createTopic(Topics.DECISIONS, 3, true);
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /** A reputation-service on this fleet's bus, grid and main.cf, not started yet. */
    QuarkusApp.Builder reputationService(String id) {
        return QuarkusApp.builder(Builds.reputationService()).name(id).logDir(dir)
                .env("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
                .env("QUARKUS_INFINISPAN_CLIENT_HOSTS", grid.hotRodServers())
                .env("QUARKUS_INFINISPAN_CLIENT_USE_AUTH", "false")
                .env("PORTCULLIS_MAIN_CF", mainCf.toString())
                .env("PORTCULLIS_API_TOKEN", TOKEN)
                .env("PORTCULLIS_REPUTATION_ID", id);
    }

    /** The ban-service's tokens (read-only and admin) and its grid cache. */
    static final String BAN_READ_TOKEN = "e2e-ban-read";
    static final String BAN_ADMIN_TOKEN = "e2e-ban-admin";
    static final String BAN_CACHE = "portcullis-bans";

    /**
     * A ban-service on this fleet's bus and grid with the jails in {@code jails} (fail2ban
     * syntax), not started yet. Call {@link InfinispanCluster#defineDistributedCache} for
     * {@link #BAN_CACHE} first (done by {@link #start} only for the reputation cache).
     */
    QuarkusApp.Builder banService(String id, Path jails) {
        return QuarkusApp.builder(Builds.banService()).name(id).logDir(dir)
                .env("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
                .env("QUARKUS_INFINISPAN_CLIENT_HOSTS", grid.hotRodServers())
                .env("QUARKUS_INFINISPAN_CLIENT_USE_AUTH", "false")
                .env("PORTCULLIS_BAN_JAILS", jails.toString())
                .env("PORTCULLIS_BAN_API_READ_TOKEN", BAN_READ_TOKEN)
                .env("PORTCULLIS_BAN_API_ADMIN_TOKEN", BAN_ADMIN_TOKEN)
                .env("PORTCULLIS_BAN_ID", id)
                .startTimeout(Duration.ofSeconds(120));
    }

    /** The content filter's bearer token. */
    static final String CONTENT_TOKEN = "e2e-content-token";

    /** A content-filter on this fleet's main.cf (its tables are the main.cf's header_checks, ...), not started yet. */
    QuarkusApp.Builder contentFilter(String id) {
        return QuarkusApp.builder(Builds.contentFilter()).name(id).logDir(dir)
                .env("PORTCULLIS_MAIN_CF", mainCf.toString())
                .env("PORTCULLIS_API_TOKEN", CONTENT_TOKEN);
    }

    /**
     * An smtp-edge on this fleet's bus and main.cf with its own SMTP port, its mail log in
     * {@code <id>.maillog}, relaying to {@code nextHop}; not started yet.
     */
    Edge edge(String id, String nextHop) {
        return edge(id, nextHop, b -> b);
    }

    /** As {@link #edge(String, String)}, with {@code customize} applied to the builder (e.g. JVM options). */
    Edge edge(String id, String nextHop, java.util.function.UnaryOperator<QuarkusApp.Builder> customize) {
        int smtpPort = FreePort.find();
        Path maillog = dir.resolve(id + ".maillog");
        QuarkusApp.Builder app = QuarkusApp.builder(Builds.smtpEdge()).name(id).logDir(dir)
                .env("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
                .env("PORTCULLIS_MAIN_CF", mainCf.toString())
                .env("PORTCULLIS_SMTP_HOST", "127.0.0.1")
                .env("PORTCULLIS_SMTP_PORT", String.valueOf(smtpPort))
                .env("PORTCULLIS_NEXT_HOPS", nextHop)
                .env("PORTCULLIS_EDGE_ID", id)
                .env("PORTCULLIS_DRAIN_TIMEOUT", "1s")
                .env("POSTFIX_MAILLOG_FILE", maillog.toString());
        return new Edge(id, closing(customize.apply(app).build()), smtpPort, maillog);
    }

    /** Registers {@code resource} to be closed (in reverse order) by {@link #close()}; returns it. */
    <T extends AutoCloseable> T closing(T resource) {
        synchronized (started) {
            started.push(resource);
        }
        return resource;
    }

    /** Registers a started application to be closed with the fleet. */
    QuarkusApp closing(QuarkusApp.Builder app) {
        return closing(app.build());
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        while (true) {
            AutoCloseable next;
            synchronized (started) {
                next = started.poll();
            }
            if (next == null) {
                break;
            }
            try {
                next.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing the fleet failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** One edge: its process, its SMTP port on 127.0.0.1 and its mail log. */
    record Edge(String id, QuarkusApp app, int smtpPort, Path maillog) {

        /** The mail log so far (empty before the first line). */
        String maillogText() {
            try {
                return Files.exists(maillog) ? Files.readString(maillog, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Short waits in e2e loops (real time is the point here). */
    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
