package dev.portcullis.bench;

import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.UnreadableEventException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Where an edge's start-up replay of {@code portcullis.decisions} spends its time once the
 * records are in memory: the decode and table-insert path the edge's decision consumer runs
 * per record, on the records {@code DecisionReplayIT} publishes (100,000 bans, a tenth of them
 * /24s, a seventh scoped to port 80, one in fifty already expired).
 *
 * <p>Each stage is timed on its own, first pass (cold: what a starting JVM pays, JIT warm-up
 * included) and then further passes (warm), each as wall time and as this thread's CPU time
 * (the figure to compare on a loaded host; JIT compiler threads are not in it): JSON decode alone, CIDR parse alone,
 * table insert of decoded records, and decode + insert together (the consumer's path). Run it
 * with the JVM options under study, e.g. testkit's child options
 * ({@code -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}) and the launcher's
 * ({@code -Xmx512m}); {@code bench/run-decision-replay.sh} runs both.
 *
 * <p>{@code java -cp ... dev.portcullis.bench.DecisionReplayBench [RECORDS [PASSES]]}
 */
public final class DecisionReplayBench {

    private DecisionReplayBench() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<byte[]> values = records(records, Instant.now());
        System.out.printf(Locale.ROOT, "%d records, %.1f MB of JSON, JVM %s %s%n", values.size(),
                values.stream().mapToLong(v -> v.length).sum() / 1e6, System.getProperty("java.vm.version"),
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        String which = System.getProperty("stage", "apply");
        if (which.equals("retained")) {
            retained(values);
            return;
        }
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int pass = 0; pass < passes; pass++) {
            long t0 = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            int n = switch (which) {
                case "decode" -> decode(values).size();
                case "cidr" -> cidr(values);
                case "insert" -> insert(decodedOnce(values));
                default -> apply(values);
            };
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long cpu = TimeUnit.NANOSECONDS.toMillis(threads.getCurrentThreadCpuTime() - c0);
            System.out.printf(Locale.ROOT, "%-6s pass %d: %5d ms wall, %5d ms on CPU (%d)%n", which, pass + 1, ms,
                    cpu, n);
        }
    }

    private static List<Decision> decodedOnce = null;

    private static List<Decision> decodedOnce(List<byte[]> values) throws UnreadableEventException {
        if (decodedOnce == null) {
            decodedOnce = decode(values);
        }
        return decodedOnce;
    }

    /** The records as {@code DecisionReplayIT} writes them (its loop, then its two SMTP-checked bans). */
    static List<byte[]> records(int count, Instant now) {
        Instant later = now.plus(Duration.ofDays(1));
        List<byte[]> out = new ArrayList<>(count + 2);
        for (int i = 0; i < count; i++) {
            String cidr = i % 10 == 0
                    ? "172." + (16 + (i >> 16) % 16) + "." + ((i >> 8) & 0xff) + ".0/24"
                    : "10." + ((i >> 16) & 0xff) + "." + ((i >> 8) & 0xff) + "." + (i & 0xff) + "/32";
            boolean expired = i % 50 == 7;
            out.add(DecisionCodec.encode(new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN,
                    i % 7 == 0 ? List.of(80) : List.of(), "jail:postfix", "3 rejects in 10m",
                    now.minusSeconds(3600), expired ? now.minusSeconds(60) : later, "ban-e2e")));
        }
        return out;
    }

    private static List<Decision> decode(List<byte[]> values) throws UnreadableEventException {
        List<Decision> out = new ArrayList<>(values.size());
        for (byte[] v : values) {
            out.add(DecisionCodec.decode(v));
        }
        return out;
    }

    private static int cidr(List<byte[]> values) throws UnreadableEventException {
        int sum = 0;
        for (Decision d : decodedOnce(values)) {
            sum += Cidr.parse(d.cidr()).prefix();
        }
        return sum;
    }

    private static int insert(List<Decision> decisions) {
        DecisionTable table = new DecisionTable(2_000_000);
        for (Decision d : decisions) {
            table.put(d);
        }
        return table.size();
    }

    /**
     * Stage {@code retained}: the heap a table of the decoded records keeps alive, per held
     * decision (used heap after full collections with the table, minus without it).
     */
    private static void retained(List<byte[]> values) throws UnreadableEventException {
        long without = usedAfterGc();
        DecisionTable table = new DecisionTable(2_000_000);
        for (byte[] v : values) {
            table.put(DecisionCodec.decode(v));
        }
        long with = usedAfterGc();
        System.out.printf(Locale.ROOT, "retained: %d decisions held in %.1f MB, %d bytes each%n", table.size(),
                (with - without) / 1e6, (with - without) / table.size());
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static int apply(List<byte[]> values) throws UnreadableEventException {
        DecisionTable table = new DecisionTable(2_000_000);
        for (byte[] v : values) {
            table.put(DecisionCodec.decode(v));
        }
        return table.size();
    }
}
