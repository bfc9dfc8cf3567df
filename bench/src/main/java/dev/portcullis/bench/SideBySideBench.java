package dev.portcullis.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The side-by-side flood: the same abusive clients and the same legitimate sender against one
 * defence (a Postfix with fail2ban, or Portcullis' edges), run by {@code bench/run-sidebyside.sh}
 * once per defence.
 *
 * <p>Phases: the legitimate client alone for {@code baseline} seconds (latency of an idle
 * server), then for {@code seconds} the flood: {@link Attacker}s, one per address of
 * {@code attackers}, starting evenly spread over the first {@code ramp} seconds, while the
 * legitimate client keeps sending one message every {@code legit-interval} ms from the
 * {@code legit-sources} addresses (in no ban: they never misbehave). Then every thread is
 * joined and a Markdown report goes to stdout, the same figures as {@code key=value} lines to
 * {@code out}.
 *
 * <p>Options ({@code --name=value}): {@code label}, {@code targets} (host:port,... — several
 * edges take the connections in turn), {@code attackers} (127.0.30.1-60), {@code legit-sources}
 * (127.0.31.1-10), {@code baseline} (5), {@code seconds} (60), {@code ramp} (30),
 * {@code legit-interval} (250), {@code guesses} (8), {@code valid-every} (4), {@code burst} (15),
 * {@code errors} (25), {@code probe} (100 ms), {@code connect-timeout} (2000 ms),
 * {@code reply-timeout} (15000 ms), {@code domain} (example.com), {@code valid}
 * (user@example.com,info@example.com,sales@example.com; the first is the legitimate
 * recipient), {@code sender} (a@example.org), {@code out}.
 *
 * <p>Exit status 0 when the run completed (whatever the figures), 2 on bad options.
 */
public final class SideBySideBench {

    private SideBySideBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = HeldSessionsBench.options(argv);
        String label = o.getOrDefault("label", "target");
        List<InetSocketAddress> targets = targets(o.getOrDefault("targets", "127.0.0.1:25"));
        List<InetAddress> attackerAddresses = HeldSessionsBench.range(o.getOrDefault("attackers", "127.0.30.1-60"));
        List<InetAddress> legitSources = HeldSessionsBench.range(o.getOrDefault("legit-sources", "127.0.31.1-10"));
        for (InetAddress a : attackerAddresses) {
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException(a.getHostAddress() + " is not on loopback; this bench stays on 127.0.0.0/8");
            }
            if (legitSources.contains(a)) {
                throw new IllegalArgumentException(a.getHostAddress() + " is both an attacker and a legitimate source");
            }
        }
        int baseline = Integer.parseInt(o.getOrDefault("baseline", "5"));
        int seconds = Integer.parseInt(o.getOrDefault("seconds", "60"));
        int ramp = Integer.parseInt(o.getOrDefault("ramp", "30"));
        long legitInterval = Long.parseLong(o.getOrDefault("legit-interval", "250"));
        List<String> valid = List.of(o.getOrDefault("valid", "user@example.com,info@example.com,sales@example.com").split(","));
        String sender = o.getOrDefault("sender", "a@example.org");
        int replyTimeout = Integer.parseInt(o.getOrDefault("reply-timeout", "15000"));
        Attacker.Settings settings = new Attacker.Settings(targets, o.getOrDefault("domain", "example.com"), valid,
                Integer.parseInt(o.getOrDefault("guesses", "8")), Integer.parseInt(o.getOrDefault("valid-every", "4")),
                Integer.parseInt(o.getOrDefault("burst", "15")), Integer.parseInt(o.getOrDefault("errors", "25")),
                Integer.parseInt(o.getOrDefault("probe", "100")),
                Integer.parseInt(o.getOrDefault("connect-timeout", "2000")), replyTimeout);
        if (seconds < 1 || seconds > 300 || baseline < 0 || baseline > 60 || ramp < 0 || ramp > seconds
                || legitInterval < 10 || settings.validEvery() < 1) {
            System.err.println("bad options: seconds 1..300, baseline 0..60, ramp 0..seconds, legit-interval >= 10, valid-every >= 1");
            System.exit(2);
        }

        progress("%s: baseline %d s, legitimate client only", label, baseline);
        LegitClient idle = new LegitClient(targets, legitSources, sender, valid.get(0), replyTimeout);
        idle.runPaced(System.nanoTime() + TimeUnit.SECONDS.toNanos(baseline), legitInterval);

        progress("%s: flood for %d s from %d addresses (ramp %d s) against %s", label, seconds,
                attackerAddresses.size(), ramp, targets);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Attacker> attackers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < attackerAddresses.size(); i++) {
            long at = start + TimeUnit.SECONDS.toNanos(ramp) * i / attackerAddresses.size();
            Attacker a = new Attacker(i, attackerAddresses.get(i), settings, at, deadline);
            Thread t = new Thread(a, "attacker-" + attackerAddresses.get(i).getHostAddress());
            t.setDaemon(true);
            t.start();
            attackers.add(a);
            threads.add(t);
        }
        LegitClient legit = new LegitClient(targets, legitSources, sender, valid.get(0), replyTimeout);
        legit.runPaced(deadline, legitInterval);
        // One bound for all the joins: the rounds end within a few seconds of the deadline
        // (Attacker caps every wait), so a thread still alive then is reported, not waited for.
        long joinBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (Thread t : threads) {
            t.join(Math.max(1, (joinBy - System.nanoTime()) / 1_000_000L));
        }
        for (Attacker a : attackers) {
            a.joinProbe(Math.max(1, (joinBy - System.nanoTime()) / 1_000_000L));
        }
        long stillRunning = threads.stream().filter(Thread::isAlive).count();
        double elapsed = (System.nanoTime() - start) / 1e9;

        Map<String, String> kv = report(label, targets, attackers, idle, legit, seconds, elapsed, stillRunning);
        if (o.containsKey("out")) {
            StringBuilder sb = new StringBuilder();
            kv.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            Files.writeString(Path.of(o.get("out")), sb, StandardCharsets.UTF_8);
        }
        System.exit(0);
    }

    private static Map<String, String> report(String label, List<InetSocketAddress> targets, List<Attacker> attackers,
                                              LegitClient idle, LegitClient legit, int seconds, double elapsed,
                                              long stillRunning) {
        Map<String, String> kv = new LinkedHashMap<>();
        long[] toBan = attackers.stream().mapToLong(Attacker::toFirstBanNanos).filter(n -> n >= 0).sorted().toArray();
        long[] everywhere = attackers.stream().mapToLong(Attacker::toBanEverywhereNanos).filter(n -> n >= 0).sorted().toArray();
        long offended = attackers.stream().filter(Attacker::offended).count();
        kv.put("label", label);
        kv.put("targets", String.valueOf(targets.size()));
        kv.put("attackers", String.valueOf(attackers.size()));
        kv.put("offended", String.valueOf(offended));
        kv.put("banned", String.valueOf(toBan.length));
        kv.put("banned_everywhere", String.valueOf(everywhere.length));
        kv.put("ban_p50_ms", ms(percentile(toBan, 0.5)));
        kv.put("ban_p99_ms", ms(percentile(toBan, 0.99)));
        kv.put("ban_max_ms", ms(toBan.length == 0 ? -1 : toBan[toBan.length - 1]));
        kv.put("ban_all_p50_ms", ms(percentile(everywhere, 0.5)));
        kv.put("ban_all_p99_ms", ms(percentile(everywhere, 0.99)));
        String[][] tallies = {
            {"connects", "connections attempted by the rounds"},
            {"opened", "sessions opened (220 banner)"},
            {"limited", "421 at connect (anvil), or connect/banner timed out"},
            {"refused", "refused connects (banned)"},
            {"cut", "sessions cut mid-way"},
            {"commands_accepted", "commands accepted (2xx: EHLO, MAIL, RCPT, end of data)"},
            {"rcpt_accepted", "RCPT accepted"},
            {"rcpt_rejected", "RCPT rejected (550 5.1.1, 554 5.7.1, ...)"},
            {"messages_accepted", "spam messages accepted"},
            {"error_replies", "error replies to junk commands"},
            {"opened_after_ban", "sessions opened after the first refusal"},
            {"rcpt_accepted_after_ban", "RCPT accepted in those"},
            {"messages_accepted_after_ban", "messages accepted in those"},
            {"probe_connects", "probe connects (time-to-ban measurement)"},
        };
        List<ToIntFunction<Attacker>> getters = List.of(a -> a.connects, a -> a.opened, a -> a.limited,
                a -> a.refused, a -> a.cut, a -> a.commandsAccepted, a -> a.rcptAccepted, a -> a.rcptRejected,
                a -> a.messagesAccepted, a -> a.errorReplies, a -> a.openedAfterBan, a -> a.rcptAcceptedAfterBan,
                a -> a.messagesAcceptedAfterBan, a -> a.probeConnects);
        for (int i = 0; i < tallies.length; i++) {
            kv.put(tallies[i][0], String.valueOf(attackers.stream().mapToInt(getters.get(i)).sum()));
        }
        legitKv(kv, "idle", idle);
        legitKv(kv, "legit", legit);
        kv.put("elapsed_s", String.format(Locale.ROOT, "%.1f", elapsed));
        kv.put("attackers_still_running", String.valueOf(stillRunning));

        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "### %s: %d attackers, %d target(s), flood %d s (%.1f s with the join)%n%n",
                label, attackers.size(), targets.size(), seconds, elapsed));
        r.append("| legitimate client | sessions | failed | success | p50 ms | p99 ms | max ms | slots missed |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        legitRow(r, "idle (baseline)", idle);
        legitRow(r, "under flood", legit);
        if (legit.firstFailure.get() != null) {
            r.append("\nFirst legitimate failure: `").append(legit.firstFailure.get()).append("`\n");
        }
        r.append(String.format(Locale.ROOT, "%n| time to ban (first rejected RCPT → refused) | attackers | p50 ms | p99 ms | max ms |%n"
                + "|---|---:|---:|---:|---:|%n| at the first target | %d of %d offenders | %s | %s | %s |%n"
                + "| at every target | %d | %s | %s | |%n",
                toBan.length, offended, kv.get("ban_p50_ms"), kv.get("ban_p99_ms"), kv.get("ban_max_ms"),
                everywhere.length, kv.get("ban_all_p50_ms"), kv.get("ban_all_p99_ms")));
        r.append("\n| attacker tally (all attackers) | count |\n|---|---:|\n");
        for (String[] t : tallies) {
            r.append("| ").append(t[1]).append(" | ").append(kv.get(t[0])).append(" |\n");
        }
        if (stillRunning > 0) {
            r.append("\n**").append(stillRunning).append(" attacker threads had not ended at the join.**\n");
        }
        System.out.print(r);
        System.out.flush();
        return kv;
    }

    private static void legitKv(Map<String, String> kv, String prefix, LegitClient c) {
        long attempted = c.attempted();
        kv.put(prefix + "_sessions", String.valueOf(attempted));
        kv.put(prefix + "_failed", String.valueOf(c.failures.get()));
        kv.put(prefix + "_success_pct", attempted == 0 ? "n/a"
                : String.format(Locale.ROOT, "%.1f", 100.0 * (attempted - c.failures.get()) / attempted));
        kv.put(prefix + "_p50_ms", String.valueOf(c.latency.percentile(0.5)));
        kv.put(prefix + "_p99_ms", String.valueOf(c.latency.percentile(0.99)));
        kv.put(prefix + "_max_ms", String.valueOf(c.latency.max()));
        kv.put(prefix + "_missed_slots", String.valueOf(c.missedSlots.get()));
        // Of the messages the sender meant to send (one per slot), the share delivered.
        long offered = attempted + c.missedSlots.get();
        kv.put(prefix + "_delivered_pct", offered == 0 ? "n/a"
                : String.format(Locale.ROOT, "%.1f", 100.0 * (attempted - c.failures.get()) / offered));
        kv.put(prefix + "_first_failure", String.valueOf(c.firstFailure.get()));
    }

    private static void legitRow(StringBuilder r, String name, LegitClient c) {
        long attempted = c.attempted();
        int failed = c.failures.get();
        r.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %d | %d | %d | %d |%n", name, attempted, failed,
                attempted == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100.0 * (attempted - failed) / attempted),
                c.latency.percentile(0.5), c.latency.percentile(0.99), c.latency.max(), c.missedSlots.get()));
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    private static String ms(long nanos) {
        return nanos < 0 ? "n/a" : String.valueOf(Math.round(nanos / 1e6));
    }

    private static List<InetSocketAddress> targets(String spec) throws IOException {
        List<InetSocketAddress> list = new ArrayList<>();
        for (String t : spec.split(",")) {
            int colon = t.lastIndexOf(':');
            InetAddress a = InetAddress.getByName(t.substring(0, colon));
            if (!a.isLoopbackAddress()) {
                throw new IllegalArgumentException(t + " is not on loopback; this bench stays on 127.0.0.0/8");
            }
            list.add(new InetSocketAddress(a, Integer.parseInt(t.substring(colon + 1))));
        }
        return list;
    }

    private static void progress(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[sidebyside] " + fmt + "%n", args);
    }
}
