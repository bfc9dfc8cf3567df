package dev.portcullis.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.portcullis.testkit.FreePort;

/**
 * The stack as operators run it: {@code bin/portcullis up --detach} with its own
 * {@code PORTCULLIS_RUN_DIR} (under this module's {@code target/e2e/}), every port probed free,
 * {@code PORTCULLIS_NO_BUILD=1} (the reactor packaged the jars before this module ran), then
 * {@code stop SERVICE} / {@code start SERVICE} for fault cases and {@code down} at the end. A JVM
 * shutdown hook runs {@code down} too, so a killed test run leaves no stack behind.
 *
 * <p>The launcher's environment is this JVM's minus every variable that configures the stack
 * ({@code PORTCULLIS_*}, {@code QUARKUS_*}, {@code POSTFIX_*}, {@code KAFKA_*}: a developer's
 * shell must not leak in), plus what {@link #env} sets; {@code MAVEN_ARGS} stays, so the class
 * paths the launcher resolves come from the same local repository as this build.
 */
final class LauncherStack implements AutoCloseable {

    static final String HOST = "127.0.0.1";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path root;
    final Path runDir;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Thread downHook = new Thread(this::downQuietly, "launcher-down");
    private boolean up;
    private int commands;

    final int kafkaPort;
    final int smtpPort;
    final int httpPort;
    final int edgePortStep;
    final int infinispanPort;
    final int reputationPort;
    final int banPort;
    final int contentPort;

    /** Probes the ports and prepares the environment; starts nothing. */
    LauncherStack(Path runDir) {
        this.root = Builds.target().getParent().getParent();
        this.runDir = runDir;
        if (!Files.isExecutable(root.resolve("bin/portcullis"))) {
            throw new IllegalStateException("no launcher at " + root.resolve("bin/portcullis"));
        }
        kafkaPort = FreePort.findWith(1);                       // broker + controller
        infinispanPort = FreePort.findWith(100);                // node 1 and node 2 (ports + 100)
        int step = 10;
        smtpPort = FreePort.findWith(step);                     // edge 1 and edge 2 (ports + step)
        int http;
        do {
            http = FreePort.findWith(step);
        } while (Math.abs(http - smtpPort) <= step);
        httpPort = http;
        edgePortStep = step;
        reputationPort = FreePort.findWith(0);
        banPort = FreePort.findWith(0);
        contentPort = FreePort.findWith(0);
        env("PORTCULLIS_RUN_DIR", runDir.toString());
        env("PORTCULLIS_NO_BUILD", "1");
        env("PORTCULLIS_KAFKA_PORT", kafkaPort);
        env("PORTCULLIS_KAFKA_CONTROLLER_PORT", kafkaPort + 1);
        env("PORTCULLIS_INFINISPAN_PORT", infinispanPort);
        env("PORTCULLIS_INFINISPAN_CLUSTER_PORT", clusterPort());
        env("PORTCULLIS_SMTP_PORT", smtpPort);
        env("QUARKUS_HTTP_PORT", httpPort);
        env("PORTCULLIS_EDGE_PORT_STEP", step);
        env("PORTCULLIS_REPUTATION_PORT", reputationPort);
        env("PORTCULLIS_BAN_HTTP_PORT", banPort);
        env("PORTCULLIS_CONTENT_PORT", contentPort);
        // a 2-core machine shared with the build: small heaps, C1 only (start-up time is what counts)
        String small = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MetaspaceSize=96m";
        env("PORTCULLIS_EDGE_JAVA_OPTS", small);
        env("PORTCULLIS_REPUTATION_JAVA_OPTS", small);
        env("PORTCULLIS_BAN_JAVA_OPTS", small);
        env("PORTCULLIS_CONTENT_JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MetaspaceSize=96m");
        env("PORTCULLIS_KAFKA_JAVA_OPTS", "-Xms64m -Xmx384m -XX:+UseSerialGC");
        env("PORTCULLIS_INFINISPAN_JAVA_OPTS", "-Xms64m -Xmx256m -XX:+UseSerialGC");
    }

    /** Sets a launcher environment variable (before {@link #up}). */
    LauncherStack env(String name, Object value) {
        env.put(name, String.valueOf(value));
        return this;
    }

    /** {@code bin/portcullis up --detach ARGS}: returns once every service is ready. */
    void up(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("up", "--detach"));
        cmd.addAll(List.of(args));
        Runtime.getRuntime().addShutdownHook(downHook);
        up = true;
        reuseClassPaths(true);
        run(timeout, cmd);
        reuseClassPaths(false);
    }

    /**
     * The launcher resolves the Kafka and Infinispan class paths with Maven once per run directory
     * (half a minute on a loaded machine); a fresh run directory per test run would pay that every
     * time, so the files are kept in {@code target/e2e/launcher-classpaths/} between runs (with their
     * times: the launcher itself re-resolves when a pom is newer or a jar is gone).
     */
    private void reuseClassPaths(boolean restore) {
        Path cache = Builds.target().resolve("e2e").resolve("launcher-classpaths");
        for (String name : List.of("kafka.classpath", "infinispan.classpath")) {
            Path from = restore ? cache.resolve(name) : runDir.resolve(name);
            Path to = restore ? runDir.resolve(name) : cache.resolve(name);
            try {
                if (Files.isRegularFile(from)) {
                    Files.createDirectories(to.getParent());
                    Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** {@code bin/portcullis stop SERVICE}. */
    void stop(String service) {
        run(Duration.ofSeconds(90), List.of("stop", service));
    }

    /** {@code bin/portcullis start SERVICE}: returns once it is ready again. */
    void start(String service) {
        run(Duration.ofSeconds(240), List.of("start", service));
    }

    /** {@code bin/portcullis status}'s output (any exit code). */
    String status() {
        return runAllowingFailure(Duration.ofSeconds(30), List.of("status")).output();
    }

    /** The SMTP port of edge {@code n} (1-based). */
    int smtpPort(int n) {
        return smtpPort + edgePortStep * (n - 1);
    }

    /** The HTTP (health, metrics) port of edge {@code n}. */
    int httpPort(int n) {
        return httpPort + edgePortStep * (n - 1);
    }

    String kafkaBootstrap() {
        return HOST + ":" + kafkaPort;
    }

    /** {@code GET http://127.0.0.1:PORT/PATH} with a bearer token: status and body. */
    static HttpResponse<String> get(int port, String path, String token) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port + path))
                            .header("Authorization", "Bearer " + token).header("Accept", "application/json")
                            .timeout(Duration.ofSeconds(15)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + port + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code bin/portcullis down}, if {@link #up} was called. */
    @Override
    public void close() {
        if (!up) {
            return;
        }
        up = false;
        try {
            Runtime.getRuntime().removeShutdownHook(downHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        run(Duration.ofSeconds(240), List.of("down"));
    }

    private void downQuietly() {
        try {
            runAllowingFailure(Duration.ofSeconds(120), List.of("down"));
        } catch (RuntimeException e) {
            System.err.println("launcher down failed: " + e);
        }
    }

    record Result(int exit, String output) {
    }

    private void run(Duration timeout, List<String> args) {
        Result r = runAllowingFailure(timeout, args);
        if (r.exit() != 0) {
            throw new IllegalStateException("bin/portcullis " + String.join(" ", args) + " exited " + r.exit()
                    + "; its output:\n" + tail(r.output(), 80));
        }
    }

    private synchronized Result runAllowingFailure(Duration timeout, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("bin/portcullis").toString());
        cmd.addAll(args);
        Path out = runDir.resolve("launcher-" + (++commands) + "-" + args.get(0) + ".out");
        try {
            Files.createDirectories(runDir);
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> e = pb.environment();
            e.keySet().removeIf(k -> k.startsWith("PORTCULLIS_") || k.startsWith("QUARKUS_") || k.startsWith("POSTFIX_")
                    || k.startsWith("KAFKA_"));
            e.putAll(env);
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("bin/portcullis " + String.join(" ", args) + " did not finish within "
                        + timeout + "; its output:\n" + tail(Files.readString(out), 80));
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            System.out.printf("e2e: bin/portcullis %s: exit %d after %d ms%n", String.join(" ", args), p.exitValue(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            return new Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new UncheckedIOException("running " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String tail(String text, int lines) {
        String[] all = text.split("\n", -1);
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    /**
     * The Infinispan cluster (JGroups) base port: node n binds base + 100 (n - 1), and FD_SOCK2
     * watches each at that port + 50000 (the launcher's fixed offset), so all four must be free and
     * below 65536; an ephemeral port would not leave room for the offset.
     */
    private static int clusterPort() {
        for (int p = 7900; p < 15000; p += 7) {
            if (FreePort.bindable(p) && FreePort.bindable(p + 100) && FreePort.bindable(p + 50000)
                    && FreePort.bindable(p + 50100)) {
                return p;
            }
        }
        throw new IllegalStateException("no free Infinispan cluster ports between 7900 and 15000");
    }

}
