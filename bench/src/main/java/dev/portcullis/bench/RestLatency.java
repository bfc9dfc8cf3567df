package dev.portcullis.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One client thread asking {@code GET /api/v1/reputation/{ip}} for a random known IP at a
 * fixed rate (one keep-alive HTTP/1.1 connection, requests one at a time). Each answer's
 * latency (request sent to body read, microseconds) is filed under the phase that was
 * current when the request was sent; {@link #phase(String)} switches it, {@code null} stops
 * recording. A request that would start late (the previous one took longer than the period)
 * starts at once, and the schedule is not caught up in a burst afterwards, so the rate
 * achieved can fall below the rate asked for; {@link Summary} says what it was.
 */
final class RestLatency implements Runnable {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;
    private final List<String> ips;
    private final long periodNanos;
    private final long deadlineNanos;
    private final SplittableRandom rnd;
    private final Map<String, Recorder> phases = new TreeMap<>();
    private volatile String phase;
    private volatile boolean stop;

    /** {@code base} like {@code http://127.0.0.1:8081}; runs at most {@code maxSeconds}. */
    RestLatency(URI base, String token, List<String> ips, int perSecond, long seed, int maxSeconds) {
        this.base = base;
        this.token = token;
        this.ips = ips;
        this.periodNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, perSecond);
        this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        this.rnd = new SplittableRandom(seed);
    }

    /** Requests sent from now on count under {@code name} (null: not recorded). */
    void phase(String name) {
        if (name != null) {
            synchronized (phases) {
                phases.computeIfAbsent(name, n -> new Recorder());
            }
        }
        phase = name;
    }

    void stop() {
        stop = true;
    }

    @Override
    public void run() {
        long next = System.nanoTime();
        while (!stop && System.nanoTime() < deadlineNanos) {
            long now = System.nanoTime();
            if (next > now) {
                LockSupport.parkNanos(next - now);
                continue;
            }
            String current = phase;
            String ip = ips.get(rnd.nextInt(ips.size()));
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/v1/reputation/" + ip)) // [0-9a-f.:] only
                    .header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(10))
                    .GET().build();
            long t0 = System.nanoTime();
            int status;
            try {
                HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                status = r.statusCode();
            } catch (IOException e) {
                status = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long t1 = System.nanoTime();
            if (current != null) {
                Recorder rec;
                synchronized (phases) {
                    rec = phases.get(current);
                }
                rec.record((t1 - t0) / 1_000, status, t0);
            }
            next = Math.max(next + periodNanos, t1);
        }
    }

    Summary summary(String name) {
        Recorder r;
        synchronized (phases) {
            r = phases.get(name);
        }
        return r == null ? new Summary(0, 0, new long[0], Map.of()) : r.summary();
    }

    /** Latencies in microseconds, sorted; statuses (-1 = no answer) with their counts. */
    record Summary(long count, double seconds, long[] sortedMicros, Map<Integer, Long> statuses) {
        double rate() {
            return seconds <= 0 ? Double.NaN : count / seconds;
        }

        /** The p-quantile (0..1) in milliseconds, NaN when empty. */
        double ms(double p) {
            if (sortedMicros.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(sortedMicros.length - 1, Math.max(0, Math.ceil(p * sortedMicros.length) - 1));
            return sortedMicros[i] / 1000.0;
        }

        double maxMs() {
            return sortedMicros.length == 0 ? Double.NaN : sortedMicros[sortedMicros.length - 1] / 1000.0;
        }

        long ok() {
            return statuses.getOrDefault(200, 0L);
        }
    }

    private static final class Recorder {
        private long[] micros = new long[4096];
        private int n;
        private long firstNanos = -1;
        private long lastNanos;
        private final Map<Integer, Long> statuses = new TreeMap<>();

        synchronized void record(long us, int status, long sentNanos) {
            if (n == micros.length) {
                micros = Arrays.copyOf(micros, n * 2);
            }
            micros[n++] = us;
            statuses.merge(status, 1L, Long::sum);
            if (firstNanos < 0) {
                firstNanos = sentNanos;
            }
            lastNanos = sentNanos;
        }

        synchronized Summary summary() {
            long[] sorted = Arrays.copyOf(micros, n);
            Arrays.sort(sorted);
            double seconds = n < 2 ? 0 : (lastNanos - firstNanos) / 1e9;
            return new Summary(n, seconds, sorted, new TreeMap<>(statuses));
        }
    }
}
