package dev.portcullis.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the bench reads of a JVM on this host from outside: {@code jcmd} (live heap by class
 * histogram, per-thread CPU from {@code Thread.print}) and {@code /proc/<pid>/stat}.
 */
final class Jvm {

    private static final double CLOCK_TICKS = 100.0;
    private static final Pattern THREAD = Pattern.compile("^\"([^\"]*)\" .*?cpu=([0-9.]+)ms elapsed=([0-9.]+)s");

    private Jvm() {
    }

    static String jcmdPath() {
        Path p = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(p) ? p.toString() : "jcmd";
    }

    /** Runs {@code jcmd <pid> args...}, returns its output (empty on failure); at most {@code timeoutSeconds}. */
    static String jcmd(long pid, int timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of(jcmdPath(), Long.toString(pid)));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readNBytes(256 << 20);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * A class histogram of the live objects ({@code GC.class_histogram} collects first, then
     * counts what survives), written to {@code file} when that is not null.
     */
    static Histogram liveHistogram(long pid, Path file) throws IOException {
        String text = jcmd(pid, 180, "GC.class_histogram");
        if (file != null) {
            Files.writeString(file, text);
        }
        return Histogram.parse(text);
    }

    /** Live heap by class: bytes and instances per class name; {@code total} is the histogram's Total line. */
    record Histogram(long total, Map<String, long[]> classes) {
        static Histogram parse(String text) {
            long total = -1;
            Map<String, long[]> classes = new HashMap<>();
            for (String line : text.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (line.startsWith("Total") && f.length >= 3) {
                    total = Long.parseLong(f[2]);
                } else if (f.length >= 4 && f[0].endsWith(":")) {
                    try {
                        classes.merge(f[3], new long[]{Long.parseLong(f[1]), Long.parseLong(f[2])},
                                (a, b) -> new long[]{a[0] + b[0], a[1] + b[1]});
                    } catch (NumberFormatException ignored) {
                        // a header line
                    }
                }
            }
            return new Histogram(total, classes);
        }

        /** The {@code n} classes that grew most from {@code before} to this one: name to {instances, bytes} growth. */
        Map<String, long[]> topGrowth(Histogram before, int n) {
            Map<String, long[]> growth = new HashMap<>();
            classes.forEach((k, v) -> {
                long[] b = before.classes.getOrDefault(k, new long[2]);
                growth.put(k, new long[]{v[0] - b[0], v[1] - b[1]});
            });
            Map<String, long[]> top = new LinkedHashMap<>();
            growth.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).limit(n)
                    .forEach(e -> top.put(e.getKey(), e.getValue()));
            return top;
        }
    }

    /** CPU milliseconds per thread name (threads with equal names summed), from {@code jcmd Thread.print}. */
    static Map<String, Double> threadCpu(long pid, Path file) throws IOException {
        String text = jcmd(pid, 60, "Thread.print");
        if (file != null) {
            Files.writeString(file, text);
        }
        Map<String, Double> cpu = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = THREAD.matcher(line);
            if (m.find()) {
                cpu.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
            }
        }
        return cpu;
    }

    /** User + system CPU seconds of a process so far; NaN when it is gone. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** VmRSS bytes of a process; NaN when it is gone. */
    static double rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Double.parseDouble(line.trim().split("\\s+")[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
