package dev.portcullis.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.events.Verdict;
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
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A flood against the launcher's stack: {@code bin/portcullis up --detach} with two edges
 * ({@code PORTCULLIS_EDGES=2}) and two Infinispan nodes, Kafka, the reputation-service, the
 * ban-service and the content-filter, all on 127.0.0.1 and probed-free ports, with its own run
 * directory under {@code target/e2e/flood/}, and a capturing {@code smtp-sink} as the next hop
 * ({@code PORTCULLIS_NEXT_HOPS}). Every client comes from its own 127.x.y.z address (Linux
 * accepts any 127/8 source), each attacker in its own /24 so that no network ban blurs the counts.
 *
 * <ul>
 *   <li>{@link #floodIsTarpittedRateLimitedAndBannedWhileLegitMailFlows}: three kinds of attacker
 *   at once, spread over both edges, while well-behaved clients send mail through both:
 *   <ul>
 *     <li>error flooders (unknown commands): tarpitted past {@code smtpd_soft_error_limit} (each
 *     reply waits {@code smtpd_error_sleep_time}, measured), the error count follows them to the
 *     other edge (its first reply waits too), then the {@code postfix-errors} jail bans them;</li>
 *     <li>dictionary attackers: unknown users (550 5.1.1) on one edge, a relay attempt (554
 *     5.7.1) on the other; no edge saw three, the {@code postfix} jail counts all three;</li>
 *     <li>connection bursts: 5 sessions on each edge (within each edge's own limit of 10), an
 *     11th on A; the cluster-wide verdict then refuses on B with anvil's 421 (B's mail log says
 *     cluster-wide), and the {@code postfix-anvil} jail bans them for the refusals.</li>
 *   </ul>
 *   Every banned attacker is refused at connect by both edges ({@code 554 5.7.1 ... blocked}),
 *   every legit message reached the next hop byte-exact, and the reputation API's top by errors
 *   lists the error flooders.</li>
 *   <li>Fault cases, each bounded: the broker stopped and started mid-flood; one Infinispan node
 *   stopped; the ban-service restarted; the next hop stopped.</li>
 * </ul>
 *
 * <p>Figures (tarpit delays, legit latency, time to ban) go to {@code target/flood-figures.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FloodIT {

    static final String MYHOSTNAME = "mx.flood.example";
    static final int RATE_LIMIT = 10;
    static final int SOFT = 3;
    static final Duration SLEEP = Duration.ofSeconds(1);
    static final String API_TOKEN = "flood-api-token";
    static final String BAN_READ = "flood-ban-read";
    static final String BAN_ADMIN = "flood-ban-admin";
    /** Generous: a loaded 2-core machine runs about ten JVMs here. */
    static final Duration BOUND = Duration.ofSeconds(45);
    static final int ERROR_FLOODERS = 6;
    static final int DICTIONARY = 6;
    static final int BURSTERS = 4;
    static final int LEGIT_CLIENTS = 3;
    static final int LEGIT_PER_SESSION = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private LauncherStack stack;
    private SmtpSink sink;
    private Path dir;
    /** Every legit message sent so far, by Message-ID. */
    private final Map<String, String> legit = new ConcurrentHashMap<>();
    private final List<String> figures = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    void up() throws IOException {
        Builds.smtpEdge(); // fail before starting anything when a runner jar is missing or stale
        Builds.reputationService();
        Builds.banService();
        Builds.contentFilter();
        if (!SmtpSink.available()) {
            fail("smtp-sink is not installed (apt-get install postfix): the flood test needs a capturing next hop");
        }
        dir = Builds.freshDir("flood");
        sink = new SmtpSink().start();
        Path recipients = Files.writeString(dir.resolve("recipients"), """
                # the relay recipients (as relay_recipient_maps would list them): the rest of example.com is unknown
                legit@example.com     OK
                example.com           550 5.1.1 User unknown in relay recipient table
                """);
        // an empty blocklists file: the ban-service reads PORTCULLIS_BAN_BLOCKLISTS itself, so it must exist
        Path blocklists = Files.writeString(dir.resolve("blocklists.conf"), "# none: no address here is on a list\n");
        Path mainCf = Files.writeString(dir.resolve("main.cf"), """
                myhostname = %s
                mydomain = flood.example
                mydestination = $myhostname, localhost
                relay_domains = example.com
                # no 127.x client is exempt from anything
                mynetworks = 192.0.2.0/24
                smtpd_client_event_limit_exceptions =
                smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
                smtpd_recipient_restrictions = check_recipient_access texthash:%s
                smtpd_error_sleep_time = %ds
                smtpd_soft_error_limit = %d
                smtpd_hard_error_limit = 12
                anvil_rate_time_unit = 60s
                smtpd_client_connection_rate_limit = %d
                maillog_file = %s
                """.formatted(MYHOSTNAME, recipients, SLEEP.toSeconds(), SOFT, RATE_LIMIT, dir.resolve("maillog")));
        // the shipped postfix jail (as FleetBanIT runs it), plus the errors and anvil jails switched on with small counts
        Path jails = Files.writeString(dir.resolve("jails.conf"), FleetBanIT.JAILS + """
                [postfix-errors]
                enabled  = true
                match    = error
                maxretry = 10
                findtime = 10m
                bantime  = 1h
                [postfix-anvil]
                enabled  = true
                match    = limit name=smtpd_client_connection_rate_limit,smtpd_client_connection_count_limit
                maxretry = 3
                findtime = 10m
                bantime  = 1h
                """);
        stack = new LauncherStack(dir.resolve("run"))
                .env("PORTCULLIS_EDGES", 2)
                .env("PORTCULLIS_EDGE_ID", "flood-edge")
                .env("PORTCULLIS_INFINISPAN_NODES", 2)
                .env("PORTCULLIS_MAIN_CF", mainCf)
                .env("PORTCULLIS_BAN_JAILS", jails)
                .env("PORTCULLIS_BAN_BLOCKLISTS", blocklists)
                .env("PORTCULLIS_NEXT_HOPS", "127.0.0.1:" + sink.port())
                .env("PORTCULLIS_API_TOKEN", API_TOKEN)
                .env("PORTCULLIS_BAN_API_READ_TOKEN", BAN_READ)
                .env("PORTCULLIS_BAN_API_ADMIN_TOKEN", BAN_ADMIN)
                .env("PORTCULLIS_DRAIN_TIMEOUT", "1s");
        long t0 = System.nanoTime();
        stack.up(Duration.ofMinutes(8), "--no-agent");
        figures.add(String.format(Locale.ROOT, "stack_up_s: %.1f (load %s)", (System.nanoTime() - t0) / 1e9, load()));
        String status = stack.status();
        assertTrue(status.contains("edge2") && status.contains("127.0.0.1:" + stack.smtpPort(2) + " open"),
                "status shows the second edge:\n" + status);
        assertTrue(status.contains("infinispan2") && status.contains("running"), status);
        verdictsFlowBothWays();
    }

    /**
     * Before the flood: a burst crossing the cluster-wide rate limit at one edge is refused by the
     * other, in both directions. An edge is ready before its verdict consumer has caught up (the
     * verdicts channel has no health check, by design: a bus outage must not take an edge out of
     * service), and on a loaded machine that took tens of seconds in earlier runs of this test; the
     * flood's assertions need a fleet that already shares its verdicts. How long it took after
     * {@code up} is a figure.
     */
    private void verdictsFlowBothWays() throws IOException {
        long t0 = System.nanoTime();
        int attempt = 0;
        for (int crossAt = 1; crossAt <= 2; crossAt++) {
            int other = 3 - crossAt;
            while (true) {
                assertTrue(System.nanoTime() - t0 < TimeUnit.MINUTES.toNanos(3),
                        "edge " + other + " did not apply a cluster-wide verdict within 3 minutes of up");
                String ip = "127.60." + (attempt++) + ".1";
                for (int i = 0; i < RATE_LIMIT; i++) {
                    Smtp.greetAndQuit(endpoint(i % 2 == 0 ? crossAt : other), ip);
                }
                Smtp.greetAndQuit(endpoint(crossAt), ip); // the 11th
                // at most four probes: the other edge has seen 5, its own limit is 10
                boolean cluster = false;
                for (int probe = 0; probe < 4 && !cluster; probe++) {
                    cluster = Smtp.greetAndQuit(endpoint(other), ip).code() == 421;
                    if (!cluster) {
                        Fleet.pause(Duration.ofSeconds(1));
                    }
                }
                if (cluster) {
                    break;
                }
            }
        }
        figures.add(String.format(Locale.ROOT, "verdicts applied both ways %.1f s after up (%d bursts, load %s)",
                (System.nanoTime() - t0) / 1e9, attempt, load()));
    }

    @AfterAll
    void down() throws IOException {
        try {
            if (stack != null) {
                String status = stack.status();
                stack.close();
                assertTrue(stack.status().contains("stopped"), "down stopped everything; before:\n" + status);
            }
        } finally {
            if (sink != null) {
                sink.close();
            }
            if (!figures.isEmpty()) {
                Files.write(Builds.target().resolve("flood-figures.txt"), figures, StandardCharsets.UTF_8);
                figures.forEach(f -> System.out.println("e2e flood: " + f));
            }
        }
    }

    // ------------------------------------------------------------------------------ the flood

    @Test
    @Order(1)
    void floodIsTarpittedRateLimitedAndBannedWhileLegitMailFlows() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ERROR_FLOODERS + DICTIONARY + BURSTERS + LEGIT_CLIENTS);
        try {
            List<Future<Long>> legitRuns = new ArrayList<>();
            for (int i = 0; i < LEGIT_CLIENTS; i++) {
                String ip = "127.50.0." + (10 + i);
                legitRuns.add(pool.submit(() -> legitClient(ip, 2)));
            }
            List<Future<ErrorFlooder>> errors = new ArrayList<>();
            for (int i = 0; i < ERROR_FLOODERS; i++) {
                String ip = "127.61." + i + ".1";
                int first = 1 + i % 2;
                errors.add(pool.submit(() -> errorFlooder(ip, first)));
            }
            List<Future<Long>> dictionary = new ArrayList<>();
            for (int i = 0; i < DICTIONARY; i++) {
                String ip = "127.62." + i + ".1";
                int first = 1 + i % 2;
                dictionary.add(pool.submit(() -> dictionaryAttacker(ip, first)));
            }
            List<Future<Long>> bursts = new ArrayList<>();
            for (int i = 0; i < BURSTERS; i++) {
                String ip = "127.63." + i + ".1";
                int first = 1 + i % 2;
                bursts.add(pool.submit(() -> burster(ip, first)));
            }
            List<Long> delays = new ArrayList<>();
            List<Long> fast = new ArrayList<>();
            List<Long> carried = new ArrayList<>();
            List<Long> toBan = new ArrayList<>();
            for (Future<ErrorFlooder> f : errors) {
                ErrorFlooder r = f.get(4, TimeUnit.MINUTES);
                fast.addAll(r.fast());
                delays.addAll(r.delayed());
                carried.add(r.carried());
                toBan.add(r.banMillis());
            }
            List<Long> dictBan = new ArrayList<>();
            for (Future<Long> f : dictionary) {
                dictBan.add(f.get(4, TimeUnit.MINUTES));
            }
            List<Long> burstBan = new ArrayList<>();
            for (Future<Long> f : bursts) {
                burstBan.add(f.get(4, TimeUnit.MINUTES));
            }
            List<Long> legitMillis = new ArrayList<>();
            for (Future<Long> f : legitRuns) {
                legitMillis.add(f.get(4, TimeUnit.MINUTES));
            }

            // tarpitted: the replies past the soft limit waited the sleep time (that those before did
            // not is the tarpit time the edges reported, checked per flooder)
            long minimum = SLEEP.toMillis() - 50;
            assertTrue(delays.stream().allMatch(d -> d >= minimum), "replies past the soft limit waited: " + delays);
            assertTrue(carried.stream().allMatch(d -> d >= minimum),
                    "the first error reply on the other edge waited (carried errors): " + carried);
            figures.add("tarpit_reply_ms within soft limit (median/max): " + median(fast) + "/" + Collections.max(fast)
                    + ", past it (min/median): " + Collections.min(delays) + "/" + median(delays)
                    + ", first on the other edge (min): " + Collections.min(carried));
            figures.add("time_to_ban_ms (last offence -> both edges refuse at connect), errors/dictionary/bursts median: "
                    + median(toBan) + "/" + median(dictBan) + "/" + median(burstBan) + " (load " + load() + ")");
            figures.add("legit sessions ms (median/max) under flood: " + median(legitMillis) + "/"
                    + Collections.max(legitMillis));

            // the reputation API names the error flooders as the worst offenders by errors
            JsonNode top = json(LauncherStack.get(stack.reputationPort, "/api/v1/reputation?top=50&by=errors",
                    API_TOKEN), 200);
            List<String> named = new ArrayList<>();
            top.path("offenders").forEach(o -> named.add(o.path("ip").asText()));
            // (ten errors each; a dictionary attacker made three, a burster none)
            java.util.Set<String> flooders = new java.util.HashSet<>();
            for (int i = 0; i < ERROR_FLOODERS; i++) {
                flooders.add("127.61." + i + ".1");
            }
            assertTrue(named.size() >= ERROR_FLOODERS, "top offenders by errors: " + top);
            assertEquals(flooders, new java.util.HashSet<>(named.subList(0, ERROR_FLOODERS)),
                    "the error flooders lead the top offenders by errors: " + top);
            assertTrue(named.stream().noneMatch(ip -> ip.startsWith("127.50.")), "no legit client listed: " + named);

            assertLegitDelivered();
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------ fault cases

    @Test
    @Order(2)
    void brokerStoppedAndStartedMidFlood() throws Exception {
        long down = System.nanoTime();
        stack.stop("kafka");
        try {
            // the edges serve on their own: legit mail flows, an attacker still gets Postfix's replies
            legitClient("127.50.1.10", 1);
            try (SmtpTestClient c = connect(1, "127.64.0.1")) {
                assertEquals(220, c.readReply().code());
                c.command("EHLO attacker.example");
                c.command("MAIL FROM:<x@attacker.example>");
                assertEquals(550, c.command("RCPT TO:<nobody1@example.com>").code());
            }
            assertEquals(554, refusalOf("127.61.0.1"), "a ban made before the outage still holds");
        } finally {
            stack.start("kafka");
        }
        long outage = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down);
        // nothing lost: the reject made while the broker was away was buffered by the edge (up to
        // its delivery timeout, 120 s) and is counted now
        awaitTrue("the reject during the outage counted by the reputation service",
                () -> ReputationApi.count(reputation("127.64.0.1"), "600s", "unknownRecipients") >= 1);
        // after the restart: a new attacker is banned on both edges again
        long t0 = System.nanoTime();
        dictionaryAttacker("127.64.1.1", 2);
        figures.add(String.format(Locale.ROOT, "broker outage %d ms; after the restart a dictionary attacker was"
                + " banned on both edges in %d ms (load %s)", outage, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                load()));
        assertLegitDelivered();
    }

    @Test
    @Order(3)
    void oneInfinispanNodeStopped() throws Exception {
        String ip = "127.61.0.1";
        JsonNode before = reputation(ip);
        long errors = ReputationApi.count(before, "600s", "errors");
        long connections = ReputationApi.count(before, "600s", "connections");
        assertTrue(errors >= 10 && connections >= 2, "counted before: " + before);
        stack.stop("infinispan2");
        try {
            JsonNode after = reputation(ip);
            assertTrue(ReputationApi.count(after, "600s", "errors") >= errors, "errors intact: " + after);
            assertTrue(ReputationApi.count(after, "600s", "connections") >= connections, "connections intact: " + after);
            // and new events are still counted
            String fresh = "127.65.0.1";
            try (SmtpTestClient c = connect(2, fresh)) {
                assertEquals(220, c.readReply().code());
                for (int i = 0; i < 2; i++) {
                    assertEquals(5, c.command("BOGUS" + i).code() / 100);
                }
                c.command("QUIT");
            }
            awaitTrue("the errors of " + fresh + " counted with one grid node down",
                    () -> ReputationApi.count(reputation(fresh), "600s", "errors") >= 2);
        } finally {
            stack.start("infinispan2");
        }
    }

    @Test
    @Order(4)
    void banServiceRestarted() throws Exception {
        List<String> bannedBefore = List.of("127.61.1.1", "127.62.1.1");
        stack.stop("ban");
        for (String ip : bannedBefore) {
            assertEquals(554, refusalOf(ip), "bans hold on the edges while the ban-service is away: " + ip);
        }
        stack.start("ban");
        for (String ip : bannedBefore) {
            HttpResponse<String> r = LauncherStack.get(stack.banPort, "/api/v1/bans?cidr=" + ip, BAN_READ);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains(ip + "/32"), "the restarted ban-service still knows " + ip + ": " + r.body());
            assertEquals(554, refusalOf(ip));
        }
        // and it makes new bans
        dictionaryAttacker("127.66.0.1", 1);
    }

    @Test
    @Order(5)
    void nextHopStoppedMailIsDeferredThenDeliveredOnce() throws Exception {
        int port = sink.port();
        sink.close();
        String id = "<after-outage@legit.flood.example>";
        String message = legitMessage(id, "127.50.2.10");
        Reply during = sendOnce(1, "127.50.2.10", message);
        assertEquals(4, during.code() / 100, "the next hop away: a temporary failure, not a 250 or a 5xx: " + during);
        sink = new SmtpSink().start(port);
        // the client retries, as an MTA's queue would, until the message is taken
        long deadline = System.nanoTime() + BOUND.toNanos();
        Reply retry;
        while ((retry = sendOnce(1, "127.50.2.10", message)).code() != 250) {
            assertEquals(4, retry.code() / 100, "a retry gets 250 or 4xx: " + retry);
            assertTrue(System.nanoTime() < deadline, "not delivered within " + BOUND + ": " + retry);
            Fleet.pause(Duration.ofSeconds(3)); // not faster: a retry is a connection, and anvil counts them
        }
        sink.awaitMessages(1, BOUND);
        Fleet.pause(Duration.ofSeconds(1)); // a duplicate would arrive right behind the first
        List<byte[]> copies = sink.messages().stream()
                .filter(m -> new String(m, StandardCharsets.ISO_8859_1).contains(id)).toList();
        assertEquals(1, copies.size(), "the message arrived once");
        assertSameMessage(message, copies.get(0));
    }

    // ------------------------------------------------------------------------------ clients

    /** What one error flooder saw: reply times within and past the soft limit, on the other edge, time to ban. */
    record ErrorFlooder(List<Long> fast, List<Long> delayed, long carried, long banMillis) {
    }

    /**
     * Unknown commands on edge {@code first}: {@link #SOFT} fast replies, then two that wait;
     * once the reputation service carries the count, a session on the other edge whose first error
     * reply waits; errors up to the postfix-errors jail's 10; then both edges refuse it at connect.
     */
    private ErrorFlooder errorFlooder(String ip, int first) throws IOException {
        int other = 3 - first;
        List<Long> fast = new ArrayList<>();
        List<Long> delayed = new ArrayList<>();
        int sent = 0;
        try (SmtpTestClient c = connect(first, ip)) {
            assertEquals(220, c.readReply().code(), ip);
            for (int i = 1; i <= SOFT + 2; i++) {
                TimedReply r = c.commandTimed("BOGUS" + i);
                sent++;
                assertEquals(500, r.code(), ip + " error " + i + ": " + r.reply());
                (i <= SOFT ? fast : delayed).add(r.millis());
            }
            c.command("QUIT");
        }
        awaitTrue("the carried-errors verdict on " + ip,
                () -> ReputationApi.verdict(reputation(ip), Verdict.CARRIED_ERRORS) != null);
        // The edge's own account (its TARPIT events, summed by the reputation service): exactly three
        // sleeps, before the replies to errors 4 and 5 and to the QUIT after them (Postfix sleeps
        // before every reply past the soft limit), none for errors 1 to 3. Reply times measured by a
        // client on a loaded host only ever grow: they prove the waits, not their absence.
        awaitTrue("the tarpit time of " + ip + " counted",
                () -> ReputationApi.count(reputation(ip), "600s", "tarpitMillis") >= 3 * SLEEP.toMillis());
        assertEquals(3 * SLEEP.toMillis(), ReputationApi.count(reputation(ip), "600s", "tarpitMillis"),
                ip + ": tarpitted three times, past the soft limit only");
        long carried = 0;
        long deadline = System.nanoTime() + BOUND.toNanos();
        long lastOffence = 0;
        while (sent < 10) {
            try (SmtpTestClient c = connect(other, ip)) {
                assertEquals(220, c.readReply().code(), ip + " on edge " + other);
                TimedReply r = c.commandTimed("BOGUS");
                sent++;
                if (r.millis() >= SLEEP.toMillis() - 50 || System.nanoTime() > deadline) {
                    carried = r.millis();
                    while (sent < 10) {
                        c.command("BOGUS");
                        sent++;
                    }
                    lastOffence = System.nanoTime();
                    c.command("QUIT");
                }
            }
        }
        if (lastOffence == 0) {
            lastOffence = System.nanoTime();
        }
        awaitBannedOnBoth(ip);
        return new ErrorFlooder(fast, delayed, carried, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastOffence));
    }

    /** Two unknown users on edge {@code first}, a relay attempt on the other: banned on both. */
    private long dictionaryAttacker(String ip, int first) throws IOException {
        try (SmtpTestClient c = connect(first, ip)) {
            assertEquals(220, c.readReply().code(), ip);
            c.command("EHLO attacker.example");
            assertEquals(250, c.command("MAIL FROM:<x@attacker.example>").code());
            for (String user : List.of("admin", "info")) {
                Reply r = c.command("RCPT TO:<" + user + "@example.com>");
                assertEquals("550 5.1.1 <" + user + "@example.com>: Recipient address rejected: User unknown in relay"
                        + " recipient table", r.lastLine(), ip);
            }
            c.command("QUIT");
        }
        long t0;
        try (SmtpTestClient c = connect(3 - first, ip)) {
            assertEquals(220, c.readReply().code(), ip + ": two rejects are not a ban yet");
            c.command("EHLO attacker.example");
            c.command("MAIL FROM:<x@attacker.example>");
            Reply r = c.command("RCPT TO:<victim@elsewhere.example>");
            t0 = System.nanoTime();
            assertEquals("554 5.7.1 <victim@elsewhere.example>: Relay access denied", r.lastLine(), ip);
            c.command("QUIT");
        }
        awaitBannedOnBoth(ip);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * {@link #RATE_LIMIT} sessions alternating over both edges, then one more on edge {@code first}
     * (its own 6th: within its local limit); the reputation service's verdict then refuses it on
     * the other edge with anvil's 421, and the anvil jail bans it for those refusals.
     */
    private long burster(String ip, int first) throws IOException {
        int other = 3 - first;
        for (int i = 0; i < RATE_LIMIT; i++) {
            int edge = i % 2 == 0 ? first : other;
            assertEquals(220, Smtp.greetAndQuit(endpoint(edge), ip).code(), ip + " session " + (i + 1));
        }
        assertEquals(220, Smtp.greetAndQuit(endpoint(first), ip).code(), ip + ": the 11th, edge " + first + "'s 6th");
        awaitTrue("the connection-rate verdict on " + ip,
                () -> ReputationApi.verdict(reputation(ip), Verdict.CONNECTION_RATE) != null);
        long t0 = System.nanoTime();
        // the other edge has seen 5: a 421 from it is the cluster's verdict (its mail log says so)
        String refusal = Smtp.tooManyConnections(MYHOSTNAME, ip);
        boolean limited = false;
        int code;
        long deadline = System.nanoTime() + BOUND.toNanos();
        while ((code = greeting(other, ip, refusal)) != 554) {
            limited |= code == 421;
            assertTrue(System.nanoTime() < deadline, ip + " not banned on edge " + other + " within " + BOUND);
            // Until the first 421 every probe is a session the other edge counts itself: four more
            // and its own limit of 10 would refuse, hiding the cluster's verdict. So probe slowly
            // until then (on a loaded machine the verdict may take seconds to travel).
            Fleet.pause(Duration.ofMillis(limited ? 100 : 1000));
        }
        assertTrue(limited, ip + " was refused by the rate limit on edge " + other + " before its ban");
        Path maillog = endpoint(other).maillog();
        String verdictsSeen = verdictMetrics(); // now, not 45 s later: what each edge had read when it refused
        awaitTrue("edge " + other + " logged the cluster-wide refusal of " + ip + " (not only its own limit's); "
                        + verdictsSeen, // (the log is written behind)
                () -> Files.readString(maillog).lines().anyMatch(l -> l.contains("warning: Connection rate limit exceeded:")
                        && l.contains("[" + ip + "]") && l.endsWith("for service smtp (cluster-wide)")));
        awaitBannedOnBoth(ip);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * A well-behaved client: one session per edge per round, {@link #LEGIT_PER_SESSION} messages
     * each; every reply as expected. Returns the longest session's milliseconds.
     */
    private long legitClient(String ip, int rounds) throws IOException {
        long longest = 0;
        for (int round = 0; round < rounds; round++) {
            for (int edge = 1; edge <= 2; edge++) {
                long t0 = System.nanoTime();
                try (SmtpTestClient c = connect(edge, ip)) {
                    assertEquals(220, c.readReply().code(), ip + " on edge " + edge);
                    assertEquals(250, c.command("EHLO legit.flood.example").code());
                    for (int m = 0; m < LEGIT_PER_SESSION; m++) {
                        String id = "<" + ip + "-" + round + "-" + edge + "-" + m + "@legit.flood.example>";
                        String message = legitMessage(id, ip);
                        Reply done = transaction(c, message);
                        assertEquals(250, done.code(), ip + " message " + id + " on edge " + edge + ": " + done);
                        legit.put(id, message);
                    }
                    assertEquals(221, c.command("QUIT").code());
                }
                longest = Math.max(longest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
        }
        return longest;
    }

    /** A message with what breaks sloppy relays: leading dots, a long line, trailing blanks, a tab. */
    static String legitMessage(String messageId, String ip) {
        StringBuilder b = new StringBuilder();
        b.append("Message-ID: ").append(messageId).append("\r\n");
        b.append("From: <legit@legit.flood.example>\r\nTo: <legit@example.com>\r\n");
        b.append("Subject: under flood from ").append(ip).append("\r\n\r\n");
        b.append("Hello,\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\n");
        b.append("x".repeat(900)).append("\r\n");
        b.append("trailing blanks   \r\n\tand a tab\r\n\r\nlast line of ").append(messageId).append("\r\n");
        return b.toString();
    }

    /** MAIL, RCPT, DATA, the message dot-stuffed, the final dot: the reply that ends the transaction. */
    private static Reply transaction(SmtpTestClient c, String message) throws IOException {
        Reply mail = c.command("MAIL FROM:<legit@legit.flood.example>");
        if (mail.code() != 250) {
            return mail;
        }
        Reply rcpt = c.command("RCPT TO:<legit@example.com>");
        if (rcpt.code() != 250) {
            c.command("RSET");
            return rcpt;
        }
        Reply data = c.command("DATA");
        if (data.code() != 354) {
            return data;
        }
        c.sendRaw(message.replaceAll("(?m)^\\.", "..").getBytes(StandardCharsets.UTF_8));
        return c.command(".");
    }

    /** One session with one message: the first reply that is not what a delivery wants, or the 250. */
    private Reply sendOnce(int edge, String ip, String message) throws IOException {
        try (SmtpTestClient c = connect(edge, ip)) {
            Reply greeting = c.readReply();
            if (greeting.code() != 220) {
                return greeting;
            }
            c.command("EHLO legit.flood.example");
            Reply done = transaction(c, message);
            c.send("QUIT");
            return done;
        }
    }

    // ------------------------------------------------------------------------------ checks

    /** Every legit message sent so far is at the next hop, once, byte for byte (bar the edge's Received). */
    private void assertLegitDelivered() {
        List<byte[]> dumps = sink.awaitMessages(legit.size(), BOUND);
        Map<String, List<byte[]>> byId = new HashMap<>();
        for (byte[] d : dumps) {
            String s = new String(d, StandardCharsets.ISO_8859_1);
            int at = s.indexOf("Message-ID: ");
            if (at >= 0) {
                String id = s.substring(at + 12, s.indexOf('\n', at));
                byId.computeIfAbsent(id, k -> new ArrayList<>()).add(d);
            }
        }
        for (Map.Entry<String, String> e : legit.entrySet()) {
            List<byte[]> copies = byId.getOrDefault(e.getKey(), List.of());
            assertEquals(1, copies.size(), "copies of " + e.getKey() + " at the next hop");
            assertSameMessage(e.getValue(), copies.get(0));
        }
    }

    /**
     * The dump is smtp-sink's header block, the edge's Received header, then the message with LF
     * line ends (smtp-sink does not keep CRLF): that message must be what the client sent.
     */
    private static void assertSameMessage(String sent, byte[] dump) {
        String received = new String(SmtpSink.content(dump), StandardCharsets.UTF_8);
        assertTrue(received.startsWith("Received: from "), "the edge's Received header first: " + received);
        int end = received.indexOf('\n');
        while (end >= 0 && end + 1 < received.length() && received.charAt(end + 1) == '\t') {
            end = received.indexOf('\n', end + 1);
        }
        String body = received.substring(end + 1);
        assertEquals(sent.replace("\r\n", "\n"), body, "the message as the next hop got it");
    }

    private void awaitBannedOnBoth(String ip) {
        for (int edge = 1; edge <= 2; edge++) {
            int e = edge;
            awaitTrue(ip + " refused at connect by edge " + edge, () -> greeting(e, ip, null) == 554);
        }
        Reply r = Smtp.greetAndQuit(endpoint(2), ip);
        assertEquals("554 5.7.1 Service unavailable; Client host [" + ip + "] blocked", r.lastLine());
    }

    /** The greeting code both edges give {@code ip} when they agree (else fails). */
    private int refusalOf(String ip) {
        int one = greeting(1, ip, null);
        int two = greeting(2, ip, null);
        assertEquals(one, two, "both edges answer " + ip + " alike");
        return one;
    }

    /** The greeting's code; a 421 must be exactly {@code refusal} when given. */
    private int greeting(int edge, String ip, String refusal) {
        Reply r = Smtp.greetAndQuit(endpoint(edge), ip);
        if (r.code() == 421 && refusal != null) {
            assertEquals(refusal, r.lastLine(), "edge " + edge + "'s refusal of " + ip);
        }
        return r.code();
    }

    /** Each edge's verdict counters from its metrics, for failure messages. */
    private String verdictMetrics() {
        StringBuilder b = new StringBuilder("verdict metrics:");
        for (int n = 1; n <= 2; n++) {
            HttpResponse<String> r = LauncherStack.get(stack.httpPort(n), "/q/metrics", "");
            b.append(" edge ").append(n).append(' ');
            r.body().lines().filter(l -> l.startsWith("portcullis_edge_verdicts_")).forEach(l -> b.append(l).append("; "));
        }
        return b.toString();
    }

    private JsonNode reputation(String ip) {
        return json(LauncherStack.get(stack.reputationPort, "/api/v1/reputation/" + ip, API_TOKEN), 200);
    }

    private static JsonNode json(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.uri() + ": " + r.body());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(r.body(), e);
        }
    }

    private SmtpTestClient connect(int edge, String ip) {
        return Smtp.connect(endpoint(edge), ip);
    }

    /** Edge {@code n} as the {@link Smtp} helpers take it (they need only its id and SMTP port). */
    private Fleet.Edge endpoint(int n) {
        return new Fleet.Edge("edge-" + n, null, stack.smtpPort(n), dir.resolve(n == 1 ? "maillog" : "maillog.edge" + n));
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(String what, Check check) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception | AssertionError e) {
                last = e instanceof Exception ex ? ex : new IllegalStateException(e);
            }
            Fleet.pause(Duration.ofMillis(100));
        }
        throw new AssertionError(what + ": not within " + BOUND, last);
    }

    private static long median(List<Long> values) {
        List<Long> s = new ArrayList<>(values);
        s.sort(null);
        return s.isEmpty() ? -1 : s.get(s.size() / 2);
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
