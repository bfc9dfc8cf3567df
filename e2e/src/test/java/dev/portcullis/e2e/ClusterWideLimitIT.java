package dev.portcullis.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.events.Verdict;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.QuarkusApp;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import dev.portcullis.testkit.SmtpTestClient.Reply;
import dev.portcullis.testkit.SmtpTestClient.TimedReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two edges against one reputation service: a limit is enforced over the whole fleet.
 *
 * <p>Real processes on loopback: one Kafka broker, a 2-node Infinispan cluster, the packaged
 * reputation-service, and edges A and B (each its own SMTP and HTTP port and edge id, one
 * {@code smtp-sink} as their next hop when Postfix's is installed), all reading one
 * {@link #MAIN_CF}: {@code smtpd_client_connection_rate_limit = 10} per
 * {@code anvil_rate_time_unit = 60s}, no client exempt. A client at 127.88.x.y spreads its
 * connections over A and B, never more than 10 on either, so neither edge alone would ever
 * refuse it; the cluster counts all of them.
 *
 * <ul>
 *   <li>{@link #limitIsClusterWide}: 5 sessions on each edge, then an 11th on A (A's own 6th,
 *   within A's limit) crosses the cluster-wide limit; from then on both edges refuse that IP's
 *   new sessions with anvil's exact 421, logged as cluster-wide, while another IP is served.</li>
 *   <li>{@link #carriedErrorsFollowTheClient}: errors up to {@code smtpd_soft_error_limit} on
 *   A; the client reconnects to B, whose very first error reply waits
 *   {@code smtpd_error_sleep_time}, where a fresh client's does not.</li>
 *   <li>{@link #verdictLatency}: how long from the crossing connection at A until B refuses
 *   that IP, over many fresh IPs. B runs with its own connection-rate floor switched off
 *   ({@code POSTFIX_SMTPD_CLIENT_CONNECTION_RATE_LIMIT=0}) so that B's probes cannot exhaust
 *   B's local limit and a 421 from B can only be the cluster's. The figures are printed and
 *   written to {@code target/cluster-verdict-latency.txt}; only a generous bound is asserted.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterWideLimitIT {

    static final String MYHOSTNAME = "mx.e2e.example";
    static final int RATE_LIMIT = 10;
    static final Duration ERROR_SLEEP = Duration.ofSeconds(1);

    static final String MAIN_CF = """
            # e2e: both edges and the reputation service read this file
            myhostname = %s
            mydomain = e2e.example
            mydestination = $myhostname, localhost
            relay_domains = example.com
            mynetworks = 192.0.2.0/24
            # no client is exempt from anvil's limits: the test clients are 127.88.x.y
            smtpd_client_event_limit_exceptions =
            anvil_rate_time_unit = 60s
            smtpd_client_connection_rate_limit = %d
            smtpd_error_sleep_time = %ds
            smtpd_soft_error_limit = 3
            smtpd_hard_error_limit = 6
            """.formatted(MYHOSTNAME, RATE_LIMIT, ERROR_SLEEP.toSeconds());

    /** Generous: this runs on a loaded 2-core CI machine. */
    static final Duration BOUND = Duration.ofSeconds(10);

    /** Measured rounds of {@link #verdictLatency} (each with a fresh client IP), after warm-up ones. */
    static final int LATENCY_ROUNDS = Integer.getInteger("portcullis.e2e.latency-rounds", 50);
    static final int WARMUP_ROUNDS = 3;
    /** How often B is probed while the verdict travels. */
    static final Duration PROBE_INTERVAL = Duration.ofMillis(5);

    Fleet fleet;
    SmtpSink sink;
    QuarkusApp reputation;
    ReputationApi api;
    Fleet.Edge a;
    Fleet.Edge b;

    @BeforeAll
    void startFleet() {
        Builds.smtpEdge(); // fail before starting anything when a runner jar is missing or stale
        Builds.reputationService();
        fleet = Fleet.start("cluster-wide-limit", MAIN_CF);
        String nextHop;
        if (SmtpSink.available()) {
            sink = fleet.closing(new SmtpSink()).start();
            nextHop = "127.0.0.1:" + sink.port();
        } else {
            nextHop = "127.0.0.1:" + FreePort.find(); // nothing listens: mail is deferred, sessions still work
        }
        reputation = fleet.closing(fleet.reputationService("reputation-e2e"));
        api = new ReputationApi(reputation);
        a = fleet.edge("edge-a", nextHop);
        b = fleet.edge("edge-b", nextHop);
        long t0 = System.nanoTime();
        QuarkusApp.startAll(reputation, a.app(), b.app());
        System.out.printf(Locale.ROOT, "e2e: reputation-service and edges A, B ready in %d ms (%s, %s, %s)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), reputation, a.app(), b.app());
    }

    @AfterAll
    void stopFleet() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void limitIsClusterWide() {
        String ip = "127.88.0.1";
        String other = "127.88.0.2";
        // 10 sessions, alternately on A and B: 5 on each, within each edge's own limit of 10
        for (int i = 1; i <= RATE_LIMIT; i++) {
            Fleet.Edge edge = i % 2 == 1 ? a : b;
            assertEquals(220, Smtp.greetAndQuit(edge, ip).code(), "session " + i + " on " + edge.id());
        }
        // the 11th: A's own 6th, which A alone would allow; the cluster has seen 11 > 10
        assertEquals(220, Smtp.greetAndQuit(a, ip).code(), "the 11th session, A's 6th, is within A's own limit");

        // the reputation service counted both edges and says so
        AtomicReference<JsonNode> view = new AtomicReference<>();
        await("the reputation service's verdict on " + ip).atMost(BOUND).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    view.set(api.client(ip));
                    return ReputationApi.verdict(view.get(), Verdict.CONNECTION_RATE) != null;
                });
        JsonNode verdict = ReputationApi.verdict(view.get(), Verdict.CONNECTION_RATE);
        assertEquals(RATE_LIMIT + 1, verdict.path("value").asLong(), "connections counted over both edges: " + view);
        assertEquals(RATE_LIMIT, verdict.path("configured").asLong());

        // both edges refuse it now, with anvil's words, as a cluster-wide limit
        String refusal = Smtp.tooManyConnections(MYHOSTNAME, ip);
        assertEquals(refusal, awaitRefusal(b, ip).lastLine(), "B refuses " + ip);
        assertEquals(refusal, awaitRefusal(a, ip).lastLine(), "A refuses " + ip);
        for (Fleet.Edge edge : List.of(a, b)) {
            await(edge.id() + "'s mail log").atMost(BOUND).until(() -> edge.maillogText().lines().anyMatch(l ->
                    l.contains("warning: Connection rate limit exceeded:") && l.contains("[" + ip + "]")
                            && l.endsWith("for service smtp (cluster-wide)")));
        }

        // another client is served by both, its mail delivered when there is a next hop
        for (Fleet.Edge edge : List.of(a, b)) {
            if (sink != null) {
                Reply done = Smtp.deliver(edge, other, "you@example.com");
                assertEquals(250, done.code(), edge.id() + " delivers for " + other + ": " + done);
            } else {
                assertEquals(220, Smtp.greetAndQuit(edge, other).code(), edge.id() + " serves " + other);
            }
        }
        if (sink != null) {
            assertEquals(2, sink.awaitMessages(2, BOUND).size(), "both messages reached the next hop");
        }
    }

    @Test
    @Order(2)
    void carriedErrorsFollowTheClient() throws IOException {
        String ip = "127.88.1.1";
        String fresh = "127.88.1.2";
        // errors on A up to smtpd_soft_error_limit (3)
        try (SmtpTestClient c = Smtp.connect(a, ip)) {
            assertEquals(220, c.readReply().code());
            for (int i = 1; i <= 3; i++) {
                Reply r = c.command("BOGUS" + i);
                assertEquals(5, r.code() / 100, "error " + i + " on A: " + r);
            }
            c.command("QUIT");
        }
        await("the carried-errors verdict on " + ip).atMost(BOUND).pollInterval(Duration.ofMillis(50))
                .until(() -> ReputationApi.verdict(api.client(ip), Verdict.CARRIED_ERRORS) != null);

        // the client reconnects to B: its first error reply is tarpitted (B may need a moment
        // for the verdict to arrive, so a session that was not is tried again)
        long minimum = ERROR_SLEEP.toMillis() - 50;
        long deadline = System.nanoTime() + BOUND.toNanos();
        int sessions = 0;
        TimedReply first;
        while (true) {
            sessions++;
            try (SmtpTestClient c = Smtp.connect(b, ip)) {
                assertEquals(220, c.readReply().code(), "B greets " + ip + " (errors are not a connection limit)");
                first = c.commandTimed("BOGUS");
            }
            if (first.millis() >= minimum || System.nanoTime() > deadline) {
                break;
            }
            Fleet.pause(Duration.ofMillis(100));
        }
        assertEquals(5, first.code() / 100, "B's reply to an unknown command: " + first.reply());
        assertTrue(first.millis() >= minimum, "B's first error reply to " + ip + " waited " + first.millis()
                + " ms, not the smtpd_error_sleep_time of " + ERROR_SLEEP);

        // a fresh client's first error reply on B is not delayed
        try (SmtpTestClient c = Smtp.connect(b, fresh)) {
            assertEquals(220, c.readReply().code());
            TimedReply control = c.commandTimed("BOGUS");
            assertEquals(5, control.code() / 100);
            assertTrue(control.millis() < minimum, "a fresh client's error reply waited " + control.millis() + " ms");
            System.out.printf(Locale.ROOT, "e2e: carried errors: first error reply on B %d ms (after %d session(s)),"
                    + " a fresh client's %d ms%n", first.millis(), sessions, control.millis());
        }
    }

    @Test
    @Order(3)
    void verdictLatency() throws IOException {
        // B's own floor off, so that a 421 from B can only be the cluster's verdict
        b.app().env("POSTFIX_SMTPD_CLIENT_CONNECTION_RATE_LIMIT", "0");
        b.app().restart();

        // a restarted edge reads the verdicts still in force: 127.88.0.1's, if it has time left
        JsonNode first = api.client("127.88.0.1");
        Instant until = ReputationApi.verdictUntil(first, Verdict.CONNECTION_RATE);
        if (until != null && until.isAfter(Instant.now().plus(BOUND).plusSeconds(5))) {
            assertEquals(Smtp.tooManyConnections(MYHOSTNAME, "127.88.0.1"), awaitRefusal(b, "127.88.0.1").lastLine(),
                    "the restarted B knows the verdict from before its restart");
        }

        List<Round> rounds = new ArrayList<>();
        try (BusWatch watch = new BusWatch(fleet.kafka.bootstrapServers(), RATE_LIMIT + 1)) {
            for (int i = 0; i < WARMUP_ROUNDS + LATENCY_ROUNDS; i++) {
                String ip = "127.88." + (2 + i / 250) + "." + (1 + i % 250);
                Round round = crossAtAThenProbeB(ip, watch);
                if (i >= WARMUP_ROUNDS) {
                    rounds.add(round);
                }
            }
        }
        report(rounds);
    }

    /**
     * One measured client IP. {@code micros}: from t0 (the client has the crossing session's
     * greeting from A) to B's 421; {@code probes}: sessions B was asked for. The legs, in wall-clock
     * milliseconds from what {@link BusWatch} saw (null when it saw nothing): t0 until the crossing
     * CONNECT was readable on the bus; until the reputation service issued its verdict; until the
     * verdict was readable on the bus; until B refused.
     */
    record Round(String ip, long micros, int probes, Long toBus, Long toDecision, Long toVerdictOnBus, Long toRefusal) {
    }

    /**
     * One client IP: 5 sessions on each edge, the 11th on A (t0 = its greeting), then a new
     * session on B every {@link #PROBE_INTERVAL} until B refuses it.
     */
    private Round crossAtAThenProbeB(String ip, BusWatch watch) throws IOException {
        for (int i = 1; i <= RATE_LIMIT; i++) {
            Fleet.Edge edge = i % 2 == 1 ? a : b;
            assertEquals(220, Smtp.greetAndQuit(edge, ip).code(), ip + ": session " + i + " on " + edge.id());
        }
        long t0;
        long t0Wall;
        try (SmtpTestClient c = Smtp.connect(a, ip)) {
            Reply greeting = c.readReply();
            t0 = System.nanoTime();
            t0Wall = System.currentTimeMillis();
            assertEquals(220, greeting.code(), ip + ": the crossing session is within A's own limit");
            c.send("QUIT");
        }
        String refusal = Smtp.tooManyConnections(MYHOSTNAME, ip);
        long deadline = t0 + BOUND.toNanos();
        int sessions = 0;
        while (true) {
            long start = System.nanoTime();
            sessions++;
            try (SmtpTestClient c = Smtp.connect(b, ip)) {
                Reply greeting = c.readReply();
                long now = System.nanoTime();
                long nowWall = System.currentTimeMillis();
                if (greeting.code() == 421) {
                    assertEquals(refusal, greeting.lastLine());
                    BusWatch.Seen connect = watch.nthConnect(ip, Duration.ofSeconds(2));
                    BusWatch.Seen verdict = watch.verdict(ip, Duration.ofSeconds(2));
                    return new Round(ip, TimeUnit.NANOSECONDS.toMicros(now - t0), sessions,
                            connect == null ? null : connect.receivedMillis() - t0Wall,
                            connect == null || verdict == null ? null : verdict.issuedMillis() - connect.receivedMillis(),
                            verdict == null ? null : verdict.receivedMillis() - verdict.issuedMillis(),
                            verdict == null ? null : nowWall - verdict.receivedMillis());
                }
                assertEquals(220, greeting.code(), ip + ": B's greeting");
                c.send("QUIT");
            }
            if (System.nanoTime() > deadline) {
                fail("B still serves " + ip + " " + BOUND + " after the 11th connection crossed the cluster-wide limit at"
                        + " A (" + sessions + " sessions tried); reputation view: " + api.client(ip));
            }
            long wait = start + PROBE_INTERVAL.toNanos() - System.nanoTime();
            if (wait > 0) {
                Fleet.pause(Duration.ofNanos(wait));
            }
        }
    }

    private void report(List<Round> rounds) {
        List<Long> sorted = new ArrayList<>(rounds.stream().map(Round::micros).toList());
        sorted.sort(null);
        long p50 = percentile(sorted, 50);
        long p99 = percentile(sorted, 99);
        long max = sorted.get(sorted.size() - 1);
        StringBuilder out = new StringBuilder();
        out.append("# Cluster-wide verdict latency: from the connection that crosses smtpd_client_connection_rate_limit\n")
                .append("# at edge A (t0 = its 220 greeting read by the client) until edge B answers a new session from\n")
                .append("# that IP with 421 (B probed every ").append(PROBE_INTERVAL.toMillis())
                .append(" ms, so each figure is high by up to one probe interval plus one probe).\n")
                .append("# Path: A publishes CONNECT -> Kafka portcullis.events -> reputation-service (counts in Infinispan)\n")
                .append("# -> Kafka portcullis.verdicts -> B's verdict table. All processes on this machine, loopback.\n")
                .append("# Legs (ms, wall clock, as a bystander consumer saw the bus): t0 -> crossing CONNECT readable on\n")
                .append("# the bus -> verdict issued by the reputation service -> verdict readable on the bus -> B's 421.\n")
                .append("measured: ").append(Instant.now()).append('\n')
                .append("machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, java ")
                .append(System.getProperty("java.version")).append(", 1-minute load average at the end: ")
                .append(String.format(Locale.ROOT, "%.2f", java.lang.management.ManagementFactory
                        .getOperatingSystemMXBean().getSystemLoadAverage())).append('\n')
                .append("rounds: ").append(sorted.size()).append(" (after ").append(WARMUP_ROUNDS)
                .append(" warm-up rounds), one fresh client IP each\n")
                .append(String.format(Locale.ROOT, "p50_ms: %.1f%np90_ms: %.1f%np99_ms: %.1f%nmax_ms: %.1f%nmin_ms: %.1f%n",
                        p50 / 1000.0, percentile(sorted, 90) / 1000.0, p99 / 1000.0, max / 1000.0, sorted.get(0) / 1000.0))
                .append("probes_per_round_max: ").append(rounds.stream().mapToInt(Round::probes).max().orElse(0))
                .append('\n');
        leg(out, "leg_a_to_bus_ms", rounds.stream().map(Round::toBus).toList());
        leg(out, "leg_decision_ms", rounds.stream().map(Round::toDecision).toList());
        leg(out, "leg_verdict_to_bus_ms", rounds.stream().map(Round::toVerdictOnBus).toList());
        leg(out, "leg_bus_to_b_refusal_ms", rounds.stream().map(Round::toRefusal).toList());
        out.append("# per round: ip latency_ms probes a_to_bus decision verdict_to_bus bus_to_b_refusal\n");
        for (Round r : rounds) {
            out.append(String.format(Locale.ROOT, "%s %.1f %d %s %s %s %s%n", r.ip(), r.micros() / 1000.0, r.probes(),
                    r.toBus(), r.toDecision(), r.toVerdictOnBus(), r.toRefusal()));
        }
        Path file = Builds.target().resolve("cluster-verdict-latency.txt");
        try {
            Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.print(out);
        System.out.printf(Locale.ROOT, "e2e: cluster verdict latency A -> B over %d IPs: p50 %.1f ms, p99 %.1f ms,"
                + " max %.1f ms (written to %s)%n", sorted.size(), p50 / 1000.0, p99 / 1000.0, max / 1000.0, file);
    }

    /** One leg's p50/p99/max, or "n/a" when the bus watch missed it. */
    private static void leg(StringBuilder out, String name, List<Long> values) {
        List<Long> known = new ArrayList<>(values.stream().filter(v -> v != null).toList());
        known.sort(null);
        out.append(name).append(": ");
        if (known.isEmpty()) {
            out.append("n/a\n");
            return;
        }
        out.append(String.format(Locale.ROOT, "p50 %d p99 %d max %d (of %d rounds)%n", percentile(known, 50),
                percentile(known, 99), known.get(known.size() - 1), known.size()));
    }

    /** Nearest-rank percentile of a sorted list. */
    static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }

    /**
     * A new session from {@code ip} on {@code edge} until one is refused (a verdict may need a
     * moment to reach the edge after the reputation service shows it), at most {@link #BOUND}.
     * Spaced out so that, within the bound, the edge's own count of these sessions stays far
     * below its local limit.
     */
    private Reply awaitRefusal(Fleet.Edge edge, String ip) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            Reply greeting = Smtp.greetAndQuit(edge, ip);
            if (greeting.code() == 421) {
                return greeting;
            }
            if (System.nanoTime() > deadline) {
                fail(edge.id() + " still serves " + ip + " after " + BOUND + ": " + greeting);
            }
            Fleet.pause(Duration.ofSeconds(3));
        }
    }
}
