package dev.portcullis.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One reputation-service process started from its runnable jar, configured only through the
 * environment as an operator would: loopback HTTP port, the broker, the grid's Hot Rod
 * endpoints, the API token, a consumer group, optionally a main.cf. Every other setting -
 * the Kafka consumer's above all - is what the jar ships with. Variables of the bench's own
 * environment that would change that ({@code QUARKUS_*}, {@code KAFKA_*}, {@code MP_*},
 * {@code PORTCULLIS_*}, {@code POSTFIX_*}, {@code SMALLRYE_*}) are not passed on.
 */
final class ReputationService implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI base;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private double stopSeconds = Double.NaN;

    private ReputationService(Process process, URI base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /**
     * Starts the jar; {@code extraEnv} is added last (e.g. {@code PORTCULLIS_REPUTATION_EVENTS_TOPIC}
     * for the baseline twin). Its pid goes to {@code pidFile} so the script can stop it if this JVM dies.
     */
    static ReputationService start(Path jar, List<String> javaOptions, int httpPort, String kafka, String hotRod,
                                   String token, String groupId, Path mainCf, Map<String, String> extraEnv,
                                   Path log, Path pidFile) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(javaOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("QUARKUS_") || k.startsWith("KAFKA_") || k.startsWith("MP_")
                || k.startsWith("PORTCULLIS_") || k.startsWith("POSTFIX_") || k.startsWith("SMALLRYE_"));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka);
        env.put("QUARKUS_INFINISPAN_CLIENT_HOSTS", hotRod);
        env.put("QUARKUS_INFINISPAN_CLIENT_USE_AUTH", "false");
        env.put("PORTCULLIS_API_TOKEN", token);
        env.put("PORTCULLIS_REPUTATION_ID", "reputation-bench");
        env.put("PORTCULLIS_REPUTATION_EVENTS_GROUP_ID", groupId);
        if (mainCf != null) {
            env.put("PORTCULLIS_MAIN_CF", mainCf.toString());
        }
        env.putAll(extraEnv);
        Process p = pb.start();
        Files.writeString(pidFile, p.pid() + "\n");
        ReputationService s = new ReputationService(p, URI.create("http://127.0.0.1:" + httpPort), log);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }, "reputation-service-killer"));
        return s;
    }

    long pid() {
        return process.pid();
    }

    URI base() {
        return base;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits until the readiness check answers UP; fails with the log's tail when it exits or times out. */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long by = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < by) {
            if (!process.isAlive()) {
                throw new IllegalStateException("reputation-service exited with " + process.exitValue()
                        + "; last lines of " + log + ":\n" + tail(30));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("reputation-service not ready within " + timeout + "; last lines of " + log
                + ":\n" + tail(30));
    }

    /** The readiness check's data (eventsApplied, tracked, ...); empty when it does not answer. */
    Health health() {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode root = JSON.readTree(r.body());
            for (JsonNode check : root.path("checks")) {
                if ("grid".equals(check.path("name").asText())) {
                    return new Health(true, check.path("status").asText(), check.path("data"));
                }
            }
            return new Health(false, root.path("status").asText("?"), JSON.createObjectNode());
        } catch (IOException | RuntimeException e) {
            return new Health(false, "unreachable", JSON.createObjectNode());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health(false, "interrupted", JSON.createObjectNode());
        }
    }

    /** The Prometheus text, or "" when it does not answer. */
    String metrics() {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | RuntimeException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    record Health(boolean answered, String status, JsonNode data) {
        long get(String name) {
            return data.path(name).asLong(-1);
        }
    }

    /** SIGTERM, then SIGKILL after 30 s; records how long it took. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        long t0 = System.nanoTime();
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            } else {
                stopSeconds = (System.nanoTime() - t0) / 1e9;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Seconds the last {@link #close()} took, NaN when it was killed. */
    double stopSeconds() {
        return stopSeconds;
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ")";
        }
    }
}
