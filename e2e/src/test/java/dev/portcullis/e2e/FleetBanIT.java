package dev.portcullis.e2e;

import dev.portcullis.testkit.QuarkusApp;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import dev.portcullis.testkit.SmtpTestClient.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fleet bans together: two edges and the ban-service (its shipped {@code postfix} jail:
 * three rejects of the classic fail2ban kinds within ten minutes, banned for a day).
 *
 * <ul>
 *   <li>{@link #aFloodSpreadOverTwoEdgesTripsTheJailAndBothRefuse}: a client tries to relay
 *   twice through A and once through B (554 5.7.1 Relay access denied each time: no edge alone
 *   saw three); the jail counts all three, and both edges then refuse it at connect with 554,
 *   while a well-behaved client's mail still goes through both.</li>
 *   <li>{@link #banPropagation}: from the third reject's reply at A until B refuses that
 *   client, over fresh IPs; figures in {@code target/ban-propagation-latency.txt} (the aim, p99
 *   under 500 ms, is reported, not asserted).</li>
 *   <li>{@link #bansSurviveRestartsAndAnUnbanReachesEveryEdge}: the ban-service restarted, edge B
 *   restarted, the broker restarted: the ban holds on both edges throughout; lifted over REST
 *   it is lifted on both.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetBanIT {

    static final String MAIN_CF = """
            myhostname = mx.e2e.example
            mydomain = e2e.example
            mydestination = $myhostname, localhost
            relay_domains = example.com
            mynetworks = 192.0.2.0/24
            smtpd_client_event_limit_exceptions =
            # reject, not defer, relaying: Postfix's 554 5.7.1 that fail2ban's postfix filter knows
            smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
            smtpd_error_sleep_time = 0
            """;
    /** The shipped postfix jail, with ignoreself off: the test clients are this host's 127.x addresses. */
    static final String JAILS = """
            [DEFAULT]
            ignoreself = false
            [postfix]
            enabled  = true
            match    = reject code=554 enhanced=5.7.1
                       reject code=450 enhanced=4.7.1
                       reject code=550 enhanced=5.1.1
            port     = smtp,465,submission
            maxretry = 3
            findtime = 10m
            bantime  = 1d
            """;
    static final int LATENCY_ROUNDS = Integer.getInteger("portcullis.e2e.ban-rounds", 30);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Fleet fleet;
    private SmtpSink sink;
    private QuarkusApp bans;
    private Fleet.Edge a;
    private Fleet.Edge b;

    @BeforeAll
    void start() throws IOException {
        fleet = Fleet.start("fleet-ban", MAIN_CF);
        fleet.grid.defineDistributedCache(Fleet.BAN_CACHE);
        Path jails = Files.writeString(fleet.dir.resolve("jails.conf"), JAILS, StandardCharsets.UTF_8);
        String nextHop = "127.0.0.1:9";
        if (SmtpSink.available()) {
            sink = fleet.closing(new SmtpSink()).start();
            nextHop = "127.0.0.1:" + sink.port();
        }
        bans = fleet.closing(fleet.banService("ban-e2e", jails));
        a = fleet.edge("edge-a", nextHop);
        b = fleet.edge("edge-b", nextHop);
        QuarkusApp.startAll(bans, a.app(), b.app());
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void aFloodSpreadOverTwoEdgesTripsTheJailAndBothRefuse() {
        String attacker = "127.93.1.1";
        assertEquals(554, relayAttempt(a, attacker).code());
        assertEquals(554, relayAttempt(a, attacker).code());
        assertEquals(220, Smtp.greetAndQuit(b, attacker).code(), "two rejects: not banned yet");
        assertEquals(554, relayAttempt(b, attacker).code());
        awaitRefused(a, attacker, Duration.ofSeconds(20));
        awaitRefused(b, attacker, Duration.ofSeconds(20));
        Reply refused = Smtp.greetAndQuit(b, attacker);
        assertEquals("554 5.7.1 Service unavailable; Client host [127.93.1.1] blocked", refused.lastLine());
        if (sink != null) {
            assertEquals(250, Smtp.deliver(a, "127.93.9.9", "user@example.com").code(), "a clean client is served");
            assertEquals(250, Smtp.deliver(b, "127.93.9.9", "user@example.com").code());
        }
        String listed = get("/api/v1/bans?cidr=" + attacker, Fleet.BAN_READ_TOKEN);
        assertTrue(listed.contains("127.93.1.1/32") && listed.contains("jail:postfix"), listed);
        assertTrue(a.maillogText().contains("NOQUEUE: reject: CONNECT from unknown[127.93.1.1]: 554 5.7.1"));
    }

    @Test
    @Order(2)
    void banPropagation() throws IOException {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < LATENCY_ROUNDS + 3; i++) {
            // one /24 each: five banned addresses of one /24 would ban the network (ban-service's default)
            String ip = "127.94." + i + ".7";
            relayAttempts(a, ip, 2);
            long t0;
            try (SmtpTestClient c = Smtp.connect(a, ip)) {
                c.readReply();
                c.command("EHLO attacker.example");
                c.command("MAIL FROM:<x@attacker.example>");
                Reply third = c.command("RCPT TO:<victim@elsewhere.example>");
                t0 = System.nanoTime();
                assertEquals(554, third.code(), third.toString());
            }
            while (Smtp.greetAndQuit(b, ip).code() != 554) {
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), ip + " not refused by B in 15 s");
                Fleet.pause(Duration.ofMillis(5));
            }
            if (i >= 3) { // warm-up
                millis.add((System.nanoTime() - t0) / 1e6);
            }
        }
        millis.sort(null);
        String report = String.format(Locale.ROOT, "# Ban propagation: third failing reply at edge A -> edge B refuses"
                        + " the client at connect (B probed every 5 ms).%n# Path: A publishes REJECT -> Kafka"
                        + " portcullis.events -> ban-service jail -> portcullis.decisions -> B's decision table.%n"
                        + "measured: %s%nmachine: %d cores, load average %s%nrounds: %d%n"
                        + "p50_ms: %.1f%np90_ms: %.1f%np99_ms: %.1f%nmax_ms: %.1f%n", Instant.now(),
                Runtime.getRuntime().availableProcessors(), loadAverage(), millis.size(), pct(millis, 50),
                pct(millis, 90), pct(millis, 99), millis.get(millis.size() - 1));
        System.out.print(report);
        Files.writeString(Builds.target().resolve("ban-propagation-latency.txt"), report, StandardCharsets.UTF_8);
    }

    @Test
    @Order(3)
    void bansSurviveRestartsAndAnUnbanReachesEveryEdge() {
        String attacker = "127.93.3.3";
        relayAttempts(a, attacker, 3);
        awaitRefused(b, attacker, Duration.ofSeconds(20));

        bans.restart();
        assertEquals(554, Smtp.greetAndQuit(a, attacker).code());
        assertTrue(get("/api/v1/bans?cidr=" + attacker, Fleet.BAN_READ_TOKEN).contains("127.93.3.3/32"),
                "the restarted ban-service still knows the ban");

        b.app().restart(); // ready only once it has replayed the decisions
        assertEquals(554, Smtp.greetAndQuit(b, attacker).code(), "the restarted edge knows the ban at once");

        fleet.kafka.stop();
        try {
            assertEquals(554, Smtp.greetAndQuit(a, attacker).code(), "the broker away: the edge keeps its bans");
        } finally {
            fleet.kafka.restart();
        }
        int status = delete("/api/v1/bans/" + attacker, Fleet.BAN_ADMIN_TOKEN);
        assertTrue(status == 200 || status == 204, "unban answered " + status);
        awaitServed(a, attacker, Duration.ofSeconds(60));
        awaitServed(b, attacker, Duration.ofSeconds(60));
        assertEquals(401, deleteStatusWithToken("/api/v1/bans/" + attacker, "wrong-token"));
        assertEquals(403, deleteStatusWithToken("/api/v1/bans/" + attacker, Fleet.BAN_READ_TOKEN),
                "the read-only token cannot unban");
    }

    // ------------------------------------------------------------------ helpers

    /** One session that tries to relay through {@code edge}; returns the RCPT reply. */
    private static Reply relayAttempt(Fleet.Edge edge, String ip) {
        try (SmtpTestClient c = Smtp.connect(edge, ip)) {
            Reply greeting = c.readReply();
            if (greeting.code() != 220) {
                return greeting;
            }
            c.command("EHLO attacker.example");
            c.command("MAIL FROM:<x@attacker.example>");
            Reply r = c.command("RCPT TO:<victim@elsewhere.example>");
            c.command("QUIT");
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void relayAttempts(Fleet.Edge edge, String ip, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(554, relayAttempt(edge, ip).code(), edge.id() + " relay attempt " + i + " from " + ip);
        }
    }

    private static void awaitRefused(Fleet.Edge edge, String ip, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (Smtp.greetAndQuit(edge, ip).code() != 554) {
            assertTrue(System.nanoTime() < end, edge.id() + " did not refuse " + ip + " within " + within);
            Fleet.pause(Duration.ofMillis(50));
        }
    }

    private static void awaitServed(Fleet.Edge edge, String ip, Duration within) {
        long end = System.nanoTime() + within.toNanos();
        while (Smtp.greetAndQuit(edge, ip).code() != 220) {
            assertTrue(System.nanoTime() < end, edge.id() + " still refuses " + ip + " after " + within);
            Fleet.pause(Duration.ofMillis(100));
        }
    }

    private String get(String path, String token) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + bans.httpPort() + path)).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private int delete(String path, String token) {
        return deleteStatusWithToken(path, token);
    }

    private int deleteStatusWithToken(String path, String token) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bans.httpPort() + path))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
