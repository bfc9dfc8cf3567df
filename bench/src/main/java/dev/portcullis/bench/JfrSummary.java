package dev.portcullis.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a thread spent its CPU in a JFR recording, between two instants: execution samples
 * ({@code jdk.ExecutionSample}, Java code on CPU only: a thread parked on a future is not
 * sampled) counted per thread, and for one thread by top frame (self), by every frame on the
 * stack (inclusive) and by innermost {@code dev.portcullis} frame; allocation samples
 * ({@code jdk.ObjectAllocationSample}) weighted by bytes, by innermost project frame. Also usable
 * on its own: {@code java -cp ... dev.portcullis.bench.JfrSummary FILE [THREAD]}.
 */
public final class JfrSummary {

    private JfrSummary() {
    }

    /** Frames that only say "this thread blocks": a wait is named by the first frame below them. */
    private static final List<String> BLOCKING = List.of("jdk.internal.misc.Unsafe.", "java.util.concurrent.locks.",
            "java.lang.Object.wait", "java.lang.Thread.sleep", "java.util.concurrent.CompletableFuture$Signaller.",
            "java.util.concurrent.ForkJoinPool.managedBlock", "java.util.concurrent.ForkJoinPool.unmanagedBlock",
            "java.util.concurrent.CompletableFuture.waitingGet", "java.util.concurrent.CompletableFuture.timedGet",
            "java.util.concurrent.SynchronousQueue$TransferStack.", "java.util.concurrent.LinkedTransferQueue.awaitMatch",
            "java.util.concurrent.LinkedTransferQueue.xfer", "sun.nio.ch.", "java.net.Socket", "java.io.");
    private static final List<String> WAITS = List.of("jdk.ThreadPark", "jdk.JavaMonitorWait", "jdk.JavaMonitorEnter",
            "jdk.ThreadSleep", "jdk.SocketRead", "jdk.SocketWrite");

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrSummary FILE.jfr [THREAD-NAME [MORE-THREAD-NAME-PREFIXES...]]");
            System.exit(2);
        }
        List<String> threads = args.length > 1 ? List.of(args).subList(1, args.length)
                : List.of("reputation-aggregator", "smallrye-kafka-consumer-thread");
        System.out.print(summarize(Path.of(args[0]), threads, Instant.MIN, Instant.MAX, 20));
    }

    /**
     * CPU tables for {@code threads.get(0)}; wait tables (events of at least the recording's
     * threshold) for every thread whose name starts with one of {@code threads}.
     */
    static String summarize(Path file, List<String> threads, Instant from, Instant to, int top) throws IOException {
        String thread = threads.get(0);
        Map<String, Map<String, Long>> waits = new HashMap<>();
        Map<String, Long> waitTotals = new HashMap<>();
        Instant first = null;
        Instant last = null;
        Map<String, Long> perThread = new HashMap<>();
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> project = new HashMap<>();
        Map<String, Long> allocation = new HashMap<>();
        long samples = 0;
        long allocated = 0;
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        for (RecordedEvent e : events) {
            Instant at = e.getStartTime();
            if (at.isBefore(from) || at.isAfter(to)) {
                continue;
            }
            String type = e.getEventType().getName();
            first = first == null || at.isBefore(first) ? at : first;
            last = last == null || at.isAfter(last) ? at : last;
            if (WAITS.contains(type)) {
                String name = threadName(e.getThread("eventThread"));
                if (threads.stream().noneMatch(name::startsWith)) {
                    continue;
                }
                long micros = e.getDuration().toNanos() / 1_000;
                RecordedStackTrace st = e.getStackTrace();
                String where = st == null ? "?" : blockedIn(st.getFrames()) + " | " + innermostProject(st.getFrames());
                waits.computeIfAbsent(name, n -> new HashMap<>()).merge(type.substring(4) + " | " + where, micros,
                        Long::sum);
                waitTotals.merge(name, micros, Long::sum);
                continue;
            }
            if ("jdk.ExecutionSample".equals(type)) {
                String name = threadName(e.getThread("sampledThread"));
                perThread.merge(name, 1L, Long::sum);
                if (!thread.equals(name)) {
                    continue;
                }
                samples++;
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) {
                    continue;
                }
                List<RecordedFrame> frames = st.getFrames();
                self.merge(frame(frames.get(0)), 1L, Long::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    String m = frame(f);
                    if (seen.add(m)) {
                        inclusive.merge(m, 1L, Long::sum);
                    }
                }
                project.merge(innermostProject(frames), 1L, Long::sum);
            } else if ("jdk.ObjectAllocationSample".equals(type)) {
                if (!thread.equals(threadName(e.getThread("eventThread")))) {
                    continue;
                }
                long w = e.getLong("weight");
                allocated += w;
                RecordedStackTrace st = e.getStackTrace();
                if (st != null) {
                    allocation.merge(innermostProject(st.getFrames()) + " -> "
                            + e.getClass("objectClass").getName(), w, Long::sum);
                }
            }
        }
        long all = perThread.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Execution samples, all threads: %d%n", all));
        table(sb, "samples per thread", perThread, all, top);
        sb.append(String.format("%nThread %s: %d execution samples%n", thread, samples));
        table(sb, "self (top frame)", self, samples, top);
        table(sb, "innermost dev.portcullis frame", project, samples, top);
        table(sb, "inclusive (on the stack)", inclusive, samples, top * 2);
        sb.append(String.format("%nAllocation samples on %s: ~%.0f MiB sampled weight%n", thread,
                allocated / 1048576.0));
        table(sb, "allocations by innermost project frame -> class", allocation, allocated, top);
        if (first != null) {
            Instant a = from.isAfter(first) ? from : first;
            Instant b = to.isBefore(last) ? to : last;
            long wallMicros = java.time.Duration.between(a, b).toNanos() / 1_000;
            sb.append(String.format("%nWaits (park, monitor, sleep, socket; each at least the recording's threshold) "
                    + "over %.1f s of wall time, as %% of it:%n", wallMicros / 1e6));
            waits.entrySet().stream().sorted((x, y) -> Long.compare(waitTotals.get(y.getKey()),
                    waitTotals.get(x.getKey()))).limit(6).forEach(w -> {
                        sb.append(String.format("%n  %s: %.1f s waiting (%.0f%%)%n", w.getKey(),
                                waitTotals.get(w.getKey()) / 1e6, 100.0 * waitTotals.get(w.getKey()) / wallMicros));
                        table(sb, "type | blocked in | innermost project frame", w.getValue(), wallMicros, 8);
                    });
        }
        return sb.toString();
    }

    private static String blockedIn(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String m = frame(f);
            if (BLOCKING.stream().noneMatch(m::startsWith)) {
                return m;
            }
        }
        return frames.isEmpty() ? "?" : frame(frames.get(frames.size() - 1));
    }

    private static void table(StringBuilder sb, String title, Map<String, Long> counts, long total, int top) {
        sb.append(String.format("%n  %s%n", title));
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(top)
                .forEach(e -> sb.append(String.format("  %6.1f%%  %s%n",
                        total == 0 ? 0.0 : 100.0 * e.getValue() / total, e.getKey())));
    }

    private static String threadName(RecordedThread t) {
        if (t == null) {
            return "?";
        }
        String n = t.getJavaName() != null ? t.getJavaName() : t.getOSName();
        return n == null ? "?" : n;
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static String innermostProject(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String m = frame(f);
            if (m.startsWith("dev.portcullis.")) {
                return m.substring("dev.portcullis.".length());
            }
        }
        return "(no project frame)";
    }
}
