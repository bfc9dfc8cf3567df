package dev.portcullis.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Holds N tarpitted sessions on a running edge and measures what they cost it (heap, RSS,
 * CPU) and what a legitimate sender sees meanwhile (per-session latency). Prints a Markdown
 * report on standard output, progress on standard error; exits 1 when sessions were not
 * held, were lost, or the legitimate client failed.
 *
 * <p>Phases: (1) the edge idle: its session-event buffer filled (no broker runs; see
 * {@link EventBufferPrimer}), a clean-client warm-up for the JIT, a short clean-client baseline, then its memory (heap as seen,
 * live heap, RSS); (2) open the sessions, paced, and wait until the edge's
 * {@code portcullis_edge_sessions_tarpitted} gauge shows them; (3) let them cycle through
 * the tarpit for a while, then memory again; (4) the clean client runs for a fixed time
 * while the sessions are held; (5) memory again, then every session is closed.
 *
 * <p>Options ({@code --name=value}): {@code host} (127.0.0.1), {@code port} (SMTP, 2525),
 * {@code http-port} (8080), {@code edge-pid} (0 = no /proc or jcmd figures),
 * {@code sessions} (2000), {@code sources} (127.0.20.1-250), {@code legit-sources}
 * (127.0.21.1-250), {@code prime} (true), {@code prime-sources} (127.0.22.1-250), {@code max-pending} (200), {@code open-timeout} (120 s),
 * {@code settle} (12 s), {@code legit-seconds} (60), {@code legit-warmup-seconds} (10, not counted),
 * {@code legit-baseline-seconds} (10),
 * {@code legit-clients} (1), {@code sender} (bench@example.org), {@code recipient}
 * (user@example.com), {@code sleep-time} (5 s, the edge's smtpd_error_sleep_time, checked
 * against what the held sessions see), {@code gc} (true: live heap from {@code jcmd GC.class_histogram}),
 * {@code out-dir} (where those histograms are written), {@code extrapolate} (50000).
 */
public final class HeldSessionsBench {

    private static final double MIB = 1024.0 * 1024.0;

    private HeldSessionsBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = options(argv);
        String host = o.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(o.getOrDefault("port", "2525"));
        int httpPort = Integer.parseInt(o.getOrDefault("http-port", "8080"));
        long pid = Long.parseLong(o.getOrDefault("edge-pid", "0"));
        int sessions = Integer.parseInt(o.getOrDefault("sessions", "2000"));
        List<InetAddress> sources = range(o.getOrDefault("sources", "127.0.20.1-250"));
        List<InetAddress> legitSources = range(o.getOrDefault("legit-sources", "127.0.21.1-250"));
        List<InetAddress> primeSources = range(o.getOrDefault("prime-sources", "127.0.22.1-250"));
        boolean prime = Boolean.parseBoolean(o.getOrDefault("prime", "true"));
        int maxPending = Integer.parseInt(o.getOrDefault("max-pending", "200"));
        int openTimeout = Integer.parseInt(o.getOrDefault("open-timeout", "120"));
        int settle = Integer.parseInt(o.getOrDefault("settle", "12"));
        int legitSeconds = Integer.parseInt(o.getOrDefault("legit-seconds", "60"));
        int baselineSeconds = Integer.parseInt(o.getOrDefault("legit-baseline-seconds", "10"));
        int warmupSeconds = Integer.parseInt(o.getOrDefault("legit-warmup-seconds", "10"));
        int legitClients = Integer.parseInt(o.getOrDefault("legit-clients", "1"));
        String sender = o.getOrDefault("sender", "bench@example.org");
        String recipient = o.getOrDefault("recipient", "user@example.com");
        double sleepTime = Double.parseDouble(o.getOrDefault("sleep-time", "5"));
        boolean gc = Boolean.parseBoolean(o.getOrDefault("gc", "true"));
        int extrapolate = Integer.parseInt(o.getOrDefault("extrapolate", "50000"));
        if (sessions < 1 || sessions > 60_000 || legitSeconds < 1 || legitSeconds > 600 || legitClients < 1
                || legitClients > 16 || openTimeout > 600 || settle > 300 || baselineSeconds > 120 || warmupSeconds > 120) {
            throw new IllegalArgumentException("option out of range (sessions 1..60000, legit-seconds 1..600, "
                    + "legit-clients 1..16, open-timeout <= 600, settle <= 300, legit-baseline-seconds and legit-warmup-seconds <= 120)");
        }
        InetAddress target = InetAddress.getByName(host);
        requireLoopback(target);
        sources.forEach(HeldSessionsBench::requireLoopback);
        legitSources.forEach(HeldSessionsBench::requireLoopback);
        primeSources.forEach(HeldSessionsBench::requireLoopback);
        InetSocketAddress edge = new InetSocketAddress(target, port);

        EdgeProbe probe = new EdgeProbe(URI.create("http://" + host + ":" + httpPort + "/q/metrics"),
                URI.create("http://" + host + ":" + httpPort + "/q/health/ready"), pid,
                o.containsKey("out-dir") ? java.nio.file.Path.of(o.get("out-dir")) : null);
        long readyBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!probe.ready()) {
            if (System.nanoTime() > readyBy) {
                throw new IllegalStateException("edge not ready at " + host + ":" + httpPort + " within 60 s");
            }
            Thread.sleep(500);
        }

        // (1) idle edge: its event buffer filled first (see EventBufferPrimer), then what a
        // clean session costs when nothing else is going on, then its memory
        EdgeProbe.Snapshot unprimed = probe.snapshot(gc, "idle");
        int primed = 0;
        if (prime) {
            primed = EventBufferPrimer.prime(edge, primeSources,
                    () -> probe.metric("portcullis_edge_events_dropped"), 2000, 60_000);
            progress("primed the event buffer with %d sessions: dropped=%.0f in flight=%.0f", primed,
                    probe.metric("portcullis_edge_events_dropped"), probe.metric("portcullis_edge_events_inflight"));
        }
        if (warmupSeconds > 0) {
            progress("warm-up: clean sessions for %d s (not counted)", warmupSeconds);
            legit(edge, legitSources, sender, recipient, warmupSeconds, legitClients);
        }
        progress("baseline: clean sessions for %d s", baselineSeconds);
        LegitClient baseline = legit(edge, legitSources, sender, recipient, baselineSeconds, legitClients);
        EdgeProbe.Snapshot before = probe.snapshot(gc, "before");
        progress("before: active=%.0f heap=%.1f MiB (live %.1f) rss=%.1f MiB", before.active(),
                before.heapSeen() / MIB, before.liveHeap() / MIB, before.rss() / MIB);

        // (2) open the sessions
        HeldSessions held = new HeldSessions(edge, sources, sessions, maxPending, openTimeout * 1000L);
        long openStart = System.nanoTime();
        held.start();
        long openBy = openStart + TimeUnit.SECONDS.toNanos(openTimeout + 5L);
        while (!held.openingDone() && System.nanoTime() < openBy) {
            Thread.sleep(1000);
            progress("opening: connected=%d held=%d failed=%d", held.connected.get(), held.held.get(),
                    held.failedBeforeHeld.get());
        }
        held.stopOpening();
        double openSeconds = (System.nanoTime() - openStart) / 1e9;
        int heldCount = held.held.get();
        progress("opened %d of %d in %.1f s", heldCount, sessions, openSeconds);
        double tarpittedSeen = 0;
        for (int i = 0; i < 30; i++) {
            tarpittedSeen = probe.snapshot(false).tarpitted() - before.tarpitted();
            if (tarpittedSeen >= heldCount) {
                break;
            }
            Thread.sleep(1000);
        }

        // (3) let every session go through the tarpit a few times
        double cpuSettle0 = probe.snapshot(false).cpuSeconds();
        long settleStart = System.nanoTime();
        long replies0 = held.replies.get();
        Thread.sleep(settle * 1000L);
        double settleSeconds = (System.nanoTime() - settleStart) / 1e9;
        double cpuSettle = probe.snapshot(false).cpuSeconds() - cpuSettle0;
        long settleReplies = held.replies.get() - replies0;
        EdgeProbe.Snapshot during = probe.snapshot(gc, "held");
        progress("held: active=%.0f tarpitted=%.0f heap=%.1f MiB (live %.1f) rss=%.1f MiB", during.active(),
                during.tarpitted(), during.heapSeen() / MIB, during.liveHeap() / MIB, during.rss() / MIB);

        // (4) the legitimate client while the sessions are held
        progress("legit: clean sessions for %d s with %d held", legitSeconds, held.alive());
        double cpuLegit0 = probe.snapshot(false).cpuSeconds();
        long legitStart = System.nanoTime();
        LegitClient underLoad = legit(edge, legitSources, sender, recipient, legitSeconds, legitClients);
        double legitElapsed = (System.nanoTime() - legitStart) / 1e9;
        EdgeProbe.Snapshot after = probe.snapshot(false);
        double cpuLegit = after.cpuSeconds() - cpuLegit0;
        EdgeProbe.Snapshot afterGc = gc ? probe.snapshot(true, "after") : after;
        int aliveAtEnd = held.alive();
        String edgeLines = probe.portcullisLines();

        // (5) close every held session at once and time how long the edge takes to let go
        double cpuClose0 = probe.snapshot(false).cpuSeconds();
        long closeStart = System.nanoTime();
        held.close(30_000);
        double activeLeft = Double.NaN;
        for (int i = 0; i < 600; i++) { // at most 60 s
            activeLeft = probe.metric("portcullis_edge_sessions_active");
            if (activeLeft <= before.active()) {
                break;
            }
            Thread.sleep(100);
        }
        double closeSeconds = (System.nanoTime() - closeStart) / 1e9;
        double cpuClose = probe.snapshot(false).cpuSeconds() - cpuClose0;

        // ------------------------------------------------------------------ report
        double perHeld = during.active() - before.active();
        StringBuilder r = new StringBuilder(4096);
        r.append(String.format(Locale.ROOT, "### Held sessions: %,d requested, %,d held (opened in %.1f s), "
                + "%,d still held after the legit phase%n%n", sessions, heldCount, openSeconds, aliveAtEnd));
        r.append("| edge | before | held | after legit phase |\n|---|---:|---:|---:|\n");
        row(r, "portcullis_edge_sessions_active", "%,.0f", before.active(), during.active(), after.active());
        row(r, "portcullis_edge_sessions_tarpitted", "%,.0f", before.tarpitted(), during.tarpitted(), after.tarpitted());
        row(r, "heap used, as seen (MiB)", "%,.1f", before.heapSeen() / MIB, during.heapSeen() / MIB, after.heapSeen() / MIB);
        row(r, "live heap, jcmd GC.class_histogram total (MiB)", "%,.1f", before.liveHeap() / MIB,
                during.liveHeap() / MIB, afterGc.liveHeap() / MIB);
        row(r, "non-heap used (MiB)", "%,.1f", before.nonHeap() / MIB, during.nonHeap() / MIB, after.nonHeap() / MIB);
        row(r, "RSS, VmRSS (MiB)", "%,.1f", before.rss() / MIB, during.rss() / MIB, afterGc.rss() / MIB);
        row(r, "live threads", "%,.0f", before.threads(), during.threads(), after.threads());
        row(r, "portcullis_edge_events_inflight (buffered, no broker)", "%,.0f", before.eventsInFlight(),
                during.eventsInFlight(), after.eventsInFlight());
        row(r, "portcullis_edge_events_dropped", "%,.0f", before.eventsDropped(), during.eventsDropped(),
                after.eventsDropped());
        r.append(String.format(Locale.ROOT, "%nThe full event buffer is in every column (%s): it cost %s MiB of "
                + "live heap (%s MiB idle before it was filled).%n%n",
                prime ? "primed with " + primed + " sessions of 90 pipelined HELOs before the baseline" : "not primed",
                fmt("%.1f", (before.liveHeap() - unprimed.liveHeap()) / MIB), fmt("%.1f", unprimed.liveHeap() / MIB)));

        r.append(String.format(Locale.ROOT, "| per held session (%,.0f sessions by the gauge) | heap as seen | "
                + "live heap | RSS |%n|---|---:|---:|---:|%n", perHeld));
        double dHeapSeen = (during.heapSeen() - before.heapSeen()) / perHeld;
        double dHeapGc = (during.liveHeap() - before.liveHeap()) / perHeld;
        double dRss = (during.rss() - before.rss()) / perHeld;
        r.append(String.format(Locale.ROOT, "| bytes per session | %,.0f | %,.0f | %,.0f |%n", dHeapSeen, dHeapGc, dRss));
        r.append(String.format(Locale.ROOT, "| extrapolated to %,d sessions (MiB) | %,.0f | %,.0f | %,.0f |%n%n",
                extrapolate, (before.heapSeen() + dHeapSeen * extrapolate) / MIB,
                (before.liveHeap() + dHeapGc * extrapolate) / MIB, (before.rss() + dRss * extrapolate) / MIB));

        r.append("| clean sessions (EHLO, MAIL, RCPT, DATA, QUIT) | sessions | failures | p50 ms | p99 ms | max ms | "
                + "sessions/s |\n|---|---:|---:|---:|---:|---:|---:|\n");
        legitRow(r, "edge idle, " + baselineSeconds + " s", baseline, baselineSeconds);
        legitRow(r, String.format(Locale.ROOT, "%,d sessions held, %d s", held.alive(), legitSeconds), underLoad,
                legitElapsed);
        r.append('\n');

        Histogram t = held.tarpitLatency;
        r.append("| held sessions | value |\n|---|---:|\n");
        r.append(String.format(Locale.ROOT, "| tarpitted replies received | %,d |%n", t.count()));
        r.append(String.format(Locale.ROOT, "| tarpit delay p50 / p99 / max (ms; smtpd_error_sleep_time %.0f s) "
                + "| %d / %d / %d |%n", sleepTime, t.percentile(0.5), t.percentile(0.99), t.max()));
        r.append(String.format(Locale.ROOT, "| replies/s while only held (settle %.0f s) | %,.0f |%n", settleSeconds,
                settleReplies / settleSeconds));
        r.append(String.format(Locale.ROOT, "| edge CPU while only held (%% of one core) | %.1f |%n",
                100 * cpuSettle / settleSeconds));
        r.append(String.format(Locale.ROOT, "| edge CPU during legit phase (%% of one core) | %.1f |%n",
                100 * cpuLegit / legitElapsed));
        r.append(String.format(Locale.ROOT, "| all closed at once: gauge back to %.0f after (s) / edge CPU (s) | "
                + "%.1f / %.1f |%n", activeLeft, closeSeconds, cpuClose));
        r.append(String.format(Locale.ROOT, "| lost after held / failed before held / unexpected replies | "
                + "%d / %d / %d |%n", held.lostAfterHeld.get(), held.failedBeforeHeld.get(),
                held.unexpectedReplies.get()));
        if (held.firstProblem.get() != null) {
            r.append("\nFirst problem seen by the held sessions: `").append(held.firstProblem.get()).append("`\n");
        }
        if (underLoad.firstFailure.get() != null || baseline.firstFailure.get() != null) {
            r.append("\nFirst clean-session failure: `").append(underLoad.firstFailure.get() != null
                    ? underLoad.firstFailure.get() : baseline.firstFailure.get()).append("`\n");
        }
        r.append("\n<details><summary>edge metrics at the end</summary>\n\n```\n").append(edgeLines)
                .append("```\n</details>\n");

        List<String> failures = new ArrayList<>();
        if (heldCount < sessions * 0.99) {
            failures.add("held " + heldCount + " of " + sessions);
        }
        if (held.lostAfterHeld.get() > 0) {
            failures.add(held.lostAfterHeld.get() + " held sessions lost");
        }
        if (tarpittedSeen < heldCount * 0.99) {
            failures.add("edge gauge shows " + tarpittedSeen + " tarpitted for " + heldCount + " held");
        }
        if (t.count() > 0 && t.percentile(0.5) < sleepTime * 900) {
            failures.add("tarpit delay p50 " + t.percentile(0.5) + " ms below smtpd_error_sleep_time");
        }
        if (underLoad.failures.get() > 0 || baseline.failures.get() > 0 || underLoad.latency.count() == 0) {
            failures.add("clean sessions failed: " + (baseline.failures.get() + underLoad.failures.get()));
        }
        if (!failures.isEmpty()) {
            r.append("\n**FAILED:** ").append(String.join("; ", failures)).append('\n');
        }
        System.out.print(r);
        System.out.flush();
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static LegitClient legit(InetSocketAddress edge, List<InetAddress> sources, String sender,
                                     String recipient, int seconds, int clients) throws InterruptedException {
        LegitClient client = new LegitClient(edge, sources, sender, recipient, 30_000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread th = new Thread(() -> client.runUntil(deadline, 1_000_000), "legit-" + i);
            th.setDaemon(true);
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(seconds + 40L));
        }
        return client;
    }

    private static void row(StringBuilder r, String name, String fmt, double a, double b, double c) {
        r.append("| ").append(name).append(" | ").append(fmt(fmt, a)).append(" | ").append(fmt(fmt, b))
                .append(" | ").append(fmt(fmt, c)).append(" |\n");
    }

    private static String fmt(String fmt, double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, fmt, v);
    }

    private static void legitRow(StringBuilder r, String name, LegitClient c, double seconds) {
        Histogram h = c.latency;
        r.append(String.format(Locale.ROOT, "| %s | %,d | %d | %d | %d | %d | %.1f |%n", name, h.count(),
                c.failures.get(), h.percentile(0.5), h.percentile(0.99), h.max(), h.count() / seconds));
    }

    private static void progress(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[held-bench] " + fmt + "%n", args);
    }

    static Map<String, String> options(String[] argv) {
        Map<String, String> o = new LinkedHashMap<>();
        for (String a : argv) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("options are --name=value, got: " + a);
            }
            int eq = a.indexOf('=');
            o.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return o;
    }

    /** "127.0.20.1-250": the addresses 127.0.20.1 to 127.0.20.250. */
    static List<InetAddress> range(String spec) throws UnknownHostException {
        int dash = spec.lastIndexOf('-');
        int dot = spec.lastIndexOf('.');
        if (dash < dot || dot < 0) {
            return List.of(InetAddress.getByName(spec));
        }
        String prefix = spec.substring(0, dot + 1);
        int from = Integer.parseInt(spec.substring(dot + 1, dash));
        int to = Integer.parseInt(spec.substring(dash + 1));
        if (from < 1 || to > 254 || from > to) {
            throw new IllegalArgumentException("bad address range " + spec);
        }
        List<InetAddress> list = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            list.add(InetAddress.getByName(prefix + i));
        }
        return list;
    }

    private static void requireLoopback(InetAddress a) {
        if (!a.isLoopbackAddress()) {
            throw new IllegalArgumentException(a.getHostAddress() + " is not a loopback address; this bench stays on 127.0.0.0/8");
        }
    }
}
