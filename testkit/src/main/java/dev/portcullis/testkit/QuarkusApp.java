package dev.portcullis.testkit;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) run as a child JVM on
 * 127.0.0.1, for end-to-end tests with real processes: start it, wait until it is ready, stop it
 * (SIGTERM), kill it (SIGKILL, a crash), start it again.
 *
 * <pre>
 * try (QuarkusApp edge = QuarkusApp.builder(Path.of("../smtp-edge/target/quarkus-app/quarkus-run.jar"))
 *         .name("edge-a").logDir(Path.of("target/e2e-logs"))
 *         .env("PORTCULLIS_SMTP_PORT", String.valueOf(smtpPort))
 *         .env("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
 *         .start()) {                // returns once GET /q/health/ready answers 200
 *     ... edge.httpPort(), edge.get("/q/metrics") ...
 *     edge.kill();                   // SIGKILL: no drain, no shutdown hooks
 *     edge.start();                  // same HTTP port, same environment, log appended
 * }                                  // SIGTERM, then SIGKILL after the stop timeout
 * </pre>
 *
 * <p>The child's environment is this JVM's minus every variable that configures our
 * applications ({@code QUARKUS_*}, {@code PORTCULLIS_*}, {@code POSTFIX_*}, {@code KAFKA_*},
 * {@code MP_MESSAGING_*}, {@code SMALLRYE_*}), so a developer's shell cannot leak into a test,
 * plus {@code QUARKUS_HTTP_HOST=127.0.0.1}, {@code QUARKUS_HTTP_PORT} (a free port chosen at the
 * first start and kept across restarts) and what the builder was given. Its stdout and stderr go
 * to {@link #logFile()} ({@code <logDir>/<name>.log}, appended to at every start after a marker
 * line); a failed start throws with the tail of what that start logged.
 *
 * <p>No process is left behind: {@link #close()} stops the child, a JVM shutdown hook kills it,
 * and the child itself halts when this JVM is gone without running its hooks (a
 * {@link ParentWatchAgent} on its command line).
 *
 * <p>JVM options default to a small footprint for a 2-core test machine ({@code -Xmx256m}, serial
 * GC, C1 only); {@link Builder#jvmOptions(List)} replaces them.
 */
public final class QuarkusApp implements AutoCloseable {

    /** Where readiness is asked by default (SmallRye Health). */
    public static final String READY_PATH = "/q/health/ready";
    /** The address the child's HTTP server binds (and this class talks to). */
    public static final String HOST = "127.0.0.1";

    /** Inherited environment variables with these prefixes are not passed to the child. */
    private static final List<String> SCRUBBED = List.of("QUARKUS_", "PORTCULLIS_", "POSTFIX_", "KAFKA_",
            "MP_MESSAGING_", "SMALLRYE_");
    private static final int TAIL_LINES = 60;

    private final Builder config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int port;
    private Process process;
    private long logOffset;
    private int starts;
    private Integer lastExitCode;
    private Duration lastStartDuration;
    private Thread shutdownHook;
    private boolean closed;

    private QuarkusApp(Builder config) {
        this.config = config;
        this.port = config.httpPort;
    }

    /** Options for the application whose runner jar is {@code runJar}. */
    public static Builder builder(Path runJar) {
        return new Builder(runJar);
    }

    /**
     * Starts every application at once (start-up is mostly waiting on class loading and the
     * bus, so overlapping them saves time), returning when all are ready; if one fails, the
     * first failure is thrown after the others have finished starting (the caller closes them).
     */
    public static void startAll(QuarkusApp... apps) {
        List<CompletableFuture<QuarkusApp>> starting = new ArrayList<>();
        for (QuarkusApp app : apps) {
            starting.add(CompletableFuture.supplyAsync(app::start));
        }
        RuntimeException failure = null;
        for (CompletableFuture<QuarkusApp> f : starting) {
            try {
                f.join();
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException re ? re : e;
                if (failure == null) {
                    failure = cause;
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Starts the child JVM (if it is not running) and blocks until {@link Builder#readyPath}
     * answers 200. If the child exits first, or the start timeout passes (the child is then
     * killed), this throws with the exit code and the tail of what it logged.
     */
    public synchronized QuarkusApp start() {
        if (closed) {
            throw new IllegalStateException(config.name + " is closed");
        }
        if (isRunning()) {
            return this;
        }
        if (!Files.isRegularFile(config.runJar)) {
            throw new IllegalStateException(config.name + ": no " + config.runJar.toAbsolutePath().normalize()
                    + "; build the application first (./mvnw -pl <module> -am package -DskipTests)");
        }
        long t0 = System.nanoTime();
        if (port == 0) {
            port = FreePort.find();
        }
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::killNow, "portcullis-quarkus-app-shutdown-" + config.name);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        List<String> cmd = command();
        Path log = logFile();
        try {
            Files.createDirectories(log.getParent());
            starts++;
            String marker = "==== portcullis-testkit: start #" + starts + " of " + config.name + " at " + Instant.now()
                    + " (HTTP " + HOST + ":" + port + ")" + System.lineSeparator() + "==== " + String.join(" ", cmd)
                    + System.lineSeparator();
            Files.writeString(log, marker, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            logOffset = Files.size(log);
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(log.getParent().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> SCRUBBED.stream().anyMatch(k::startsWith));
            env.put("QUARKUS_HTTP_HOST", HOST);
            env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
            env.putAll(config.env);
            lastExitCode = null;
            process = pb.start();
        } catch (IOException e) {
            killNow();
            throw new UncheckedIOException(config.name + ": starting " + config.runJar + " failed", e);
        }
        try {
            awaitReady(t0 + config.startTimeout.toNanos());
        } catch (RuntimeException e) {
            killNow();
            throw e;
        }
        lastStartDuration = Duration.ofNanos(System.nanoTime() - t0);
        return this;
    }

    private List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(config.jvmOptions);
        cmd.add(ParentWatchAgent.jvmOption());
        config.systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(config.runJar.toAbsolutePath().normalize().toString());
        return cmd;
    }

    private void awaitReady(long deadline) {
        URI uri = uri(config.readyPath);
        String last = "no answer yet";
        while (true) {
            if (!process.isAlive()) {
                lastExitCode = process.exitValue();
                throw new IllegalStateException(config.name + " exited with " + lastExitCode
                        + " before it was ready; last lines of " + logFile() + ":\n" + logTail(TAIL_LINES));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET()
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + abbreviate(r.body(), 500);
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + config.name, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(config.name + " not ready within " + config.startTimeout + " ("
                        + uri + ": " + last + "); last lines of " + logFile() + ":\n" + logTail(TAIL_LINES));
            }
            FreePort.pause(100);
        }
    }

    /**
     * Stops the child gracefully: SIGTERM (Quarkus runs its shutdown: drains, closes consumers),
     * then SIGKILL if it has not exited within the stop timeout. Returns its exit code, or null
     * when it was not running.
     */
    public synchronized Integer stop() {
        Process p = process;
        if (p == null) {
            return null;
        }
        p.destroy();
        try {
            if (!p.waitFor(config.stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        return exited(p);
    }

    /**
     * Kills the child with SIGKILL, as a crash or an evicted pod would end it: no shutdown hooks,
     * no drain, no offset commit. Returns once it is gone, with its exit code (137), or null when
     * it was not running.
     */
    public synchronized Integer kill() {
        Process p = process;
        if (p == null) {
            return null;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return exited(p);
    }

    private Integer exited(Process p) {
        process = null;
        if (p.isAlive()) {
            return null;
        }
        lastExitCode = p.exitValue();
        return lastExitCode;
    }

    /**
     * Sets (or with a null value removes) an environment variable for the next {@link #start()},
     * e.g. to restart an application with another setting.
     */
    public synchronized QuarkusApp env(String name, String value) {
        if (value == null) {
            config.env.remove(name);
        } else {
            config.env.put(name, value);
        }
        return this;
    }

    /** {@link #stop()} then {@link #start()}: same port, same environment. */
    public synchronized QuarkusApp restart() {
        stop();
        return start();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child's process id while it runs, else -1. */
    public synchronized long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /** The exit code of the last run that ended, or null. */
    public synchronized Integer lastExitCode() {
        return lastExitCode;
    }

    /** The HTTP port on 127.0.0.1 (chosen at the first start unless given, kept across restarts). */
    public synchronized int httpPort() {
        if (port == 0) {
            throw new IllegalStateException(config.name + " has not been started yet");
        }
        return port;
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://" + HOST + ":" + httpPort() + path);
    }

    /**
     * GET {@code path} with the given headers (name, value, name, value ...); a connection
     * failure is thrown as {@link UncheckedIOException}.
     */
    public HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(config.name + ": GET " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public String name() {
        return config.name;
    }

    /** The child's stdout and stderr, every start appended after a marker line. */
    public Path logFile() {
        return config.logDir.resolve(config.name + ".log");
    }

    /** The last {@code lines} lines the current (or last) start logged. */
    public synchronized String logTail(int lines) {
        String text = readFrom(logFile(), logOffset);
        List<String> all = Arrays.asList(text.split("\\R", -1));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Everything the current (or last) start logged. */
    public synchronized String log() {
        return readFrom(logFile(), logOffset);
    }

    /** How long the last successful {@link #start()} took until the application was ready. */
    public synchronized Duration lastStartDuration() {
        return lastStartDuration;
    }

    /** Stops the child (gracefully, see {@link #stop()}); the application cannot be started again. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        stop();
        synchronized (this) {
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook runs (or ran) anyway
                }
                shutdownHook = null;
            }
        }
    }

    /** For the shutdown hook: no waiting for locks or drains, just gone. */
    private void killNow() {
        Process p = process;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static String readFrom(Path file, long offset) {
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(offset, len - 4L * 1024 * 1024); // the last 4 MiB at most
            if (len <= from) {
                return "";
            }
            byte[] buf = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(buf);
            return new String(buf, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static String abbreviate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }

    @Override
    public String toString() {
        return "QuarkusApp[" + config.name + (port == 0 ? "" : ", http " + HOST + ":" + port)
                + (process != null ? ", pid " + process.pid() : "") + "]";
    }

    // ----------------------------------------------------------------------------------- builder

    /** Options for a {@link QuarkusApp}; everything but the jar has a default. */
    public static final class Builder {
        private final Path runJar;
        private String name;
        private Path logDir = Path.of("target", "quarkus-apps");
        private int httpPort;
        private String readyPath = READY_PATH;
        private Duration startTimeout = Duration.ofSeconds(90);
        private Duration stopTimeout = Duration.ofSeconds(20);
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();
        // MetaspaceSize: a Quarkus service loads 45-60 MB of class metadata while it starts, and the
        // JVM's first metaspace threshold (about 21 MB) makes each crossing a full collection
        // (two or three per start, a sixth of an edge's 100,000-decision replay)
        private final List<String> jvmOptions = new ArrayList<>(List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:MetaspaceSize=96m", "-Xss512k", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
                "-Dfile.encoding=UTF-8"));

        private Builder(Path runJar) {
            this.runJar = runJar;
            // .../<module>/target/quarkus-app/quarkus-run.jar -> <module>
            Path module = runJar.toAbsolutePath().normalize().getParent();
            for (int i = 0; i < 2 && module != null && module.getParent() != null; i++) {
                module = module.getParent();
            }
            this.name = module == null || module.getFileName() == null ? "quarkus-app" : module.getFileName().toString();
        }

        /** Name in logs and messages, and of the log file (default: the module directory's name). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Directory of the log file, also the child's working directory (default {@code target/quarkus-apps}). */
        public Builder logDir(Path dir) {
            this.logDir = dir;
            return this;
        }

        /** HTTP port on 127.0.0.1 (default: a free one chosen at the first start). */
        public Builder httpPort(int port) {
            this.httpPort = port;
            return this;
        }

        /** The path that answers 200 once the application is ready (default {@value #READY_PATH}). */
        public Builder readyPath(String path) {
            this.readyPath = path;
            return this;
        }

        /** How long a start may take until ready (default 90 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** How long {@link QuarkusApp#stop()} waits after SIGTERM before SIGKILL (default 20 s). */
        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        /** An environment variable for the child (also one that overrides a default above). */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** A {@code -Dname=value} for the child. */
        public Builder systemProperty(String name, String value) {
            systemProperties.put(name, value);
            return this;
        }

        /** Replaces the child's JVM options (default: small heap, serial GC, C1 only). */
        public Builder jvmOptions(List<String> options) {
            jvmOptions.clear();
            jvmOptions.addAll(options);
            return this;
        }

        /** Sets the maximum heap, e.g. {@code "512m"}, keeping the other options. */
        public Builder maxHeap(String size) {
            jvmOptions.removeIf(o -> o.startsWith("-Xmx"));
            jvmOptions.add("-Xmx" + size);
            return this;
        }

        public QuarkusApp build() {
            return new QuarkusApp(this);
        }

        /** {@link #build()} then {@link QuarkusApp#start()}. */
        public QuarkusApp start() {
            return build().start();
        }
    }
}
