package dev.portcullis.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the bench can see of the edge from outside: its Prometheus text endpoint, its
 * readiness check, and - because the edge runs on this host - {@code /proc/<pid>} and
 * {@code jcmd <pid> GC.class_histogram}.
 */
final class EdgeProbe {

    /** Clock ticks per second of /proc/pid/stat times (USER_HZ, 100 on Linux). */
    private static final double CLOCK_TICKS = 100.0;

    private final URI metrics;
    private final URI health;
    private final long pid;
    private final Path histogramDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    EdgeProbe(URI metrics, URI health, long pid, Path histogramDir) {
        this.metrics = metrics;
        this.health = health;
        this.pid = pid;
        this.histogramDir = histogramDir;
    }

    /**
     * One sample; with {@code live} also the edge's live heap: {@code jcmd <pid>
     * GC.class_histogram} collects and then counts the objects that survive, so its total is
     * the live set exactly (reading the heap gauge after {@code GC.run} also counts what the
     * edge allocated in between, tens of MiB a second under load). The histogram is kept
     * in {@code histogramDir} as {@code histogram-<label>.txt} when that is set.
     */
    Snapshot snapshot(boolean live, String label) throws IOException, InterruptedException {
        Map<String, Double> seen = scrape();
        double liveHeap = live ? liveHeap(label) : Double.NaN;
        return new Snapshot(
                value(seen, "portcullis_edge_sessions_active"),
                value(seen, "portcullis_edge_sessions_tarpitted"),
                sum(seen, "jvm_memory_used_bytes", "area=\"heap\""),
                liveHeap,
                sum(seen, "jvm_memory_used_bytes", "area=\"nonheap\""),
                rssBytes(),
                value(seen, "jvm_threads_live_threads"),
                value(seen, "portcullis_edge_tarpit_delays_total"),
                value(seen, "portcullis_edge_errors_total"),
                value(seen, "portcullis_edge_messages_accepted_total"),
                value(seen, "portcullis_edge_events_inflight"),
                value(seen, "portcullis_edge_events_dropped"),
                cpuSeconds());
    }

    Snapshot snapshot(boolean live) throws IOException, InterruptedException {
        return snapshot(live, null);
    }

    /** One unlabelled metric now, NaN when absent or unreachable. */
    double metric(String name) {
        try {
            return value(scrape(), name);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** The edge's own portcullis_* lines, for the record. */
    String portcullisLines() throws IOException, InterruptedException {
        StringBuilder sb = new StringBuilder();
        for (String line : get(metrics).split("\n")) {
            if (line.startsWith("portcullis_")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    boolean ready() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    private String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200 && !uri.equals(health)) {
            throw new IOException(uri + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    private Map<String, Double> scrape() throws IOException, InterruptedException {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String line : get(metrics).split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                continue;
            }
            try {
                values.put(line.substring(0, space).trim(), Double.parseDouble(line.substring(space + 1).trim()));
            } catch (NumberFormatException ignored) {
                // a timestamped or odd line: not one we read
            }
        }
        return values;
    }

    /** A metric without labels (or with an empty label set). */
    private static double value(Map<String, Double> values, String name) {
        Double v = values.get(name);
        if (v == null) {
            v = values.get(name + "{}");
        }
        return v == null ? Double.NaN : v;
    }

    private static double sum(Map<String, Double> values, String name, String label) {
        double total = 0;
        boolean any = false;
        for (Map.Entry<String, Double> e : values.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(name + "{") && k.contains(label)) {
                total += e.getValue();
                any = true;
            }
        }
        return any ? total : Double.NaN;
    }

    /** Live heap bytes from a class histogram (which collects first); NaN without jcmd or pid. */
    private double liveHeap(String label) {
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.class_histogram")
                    .redirectErrorStream(true)
                    .start();
            byte[] out = p.getInputStream().readNBytes(64 << 20);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Double.NaN;
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (histogramDir != null && label != null) {
                Files.writeString(histogramDir.resolve("histogram-" + label + ".txt"), text);
            }
            for (String line : text.split("\n")) {
                if (line.startsWith("Total")) {
                    String[] f = line.trim().split("\\s+");
                    return Double.parseDouble(f[f.length - 1]);
                }
            }
            return Double.NaN;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    private double rssBytes() {
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.trim().split("\\s+");
                    return Double.parseDouble(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    private double cpuSeconds() {
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // fields after the ")" that ends the command name: state is field 3, utime 14, stime 15
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    record Snapshot(double active, double tarpitted, double heapSeen, double liveHeap, double nonHeap,
                    double rss, double threads, double tarpitDelays, double errors, double accepted,
                    double eventsInFlight, double eventsDropped, double cpuSeconds) {
    }
}
