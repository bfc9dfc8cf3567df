package dev.portcullis.e2e;

import dev.portcullis.testkit.QuarkusApp;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import dev.portcullis.testkit.SmtpTestClient.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge asks the real content-filter before it answers the final dot: Postfix
 * header_checks and body_checks tables (regexp: syntax) in the main.cf both read, a real
 * smtp-sink as the next hop.
 *
 * <ul>
 *   <li>REJECT by header_checks and by body_checks: the client gets the rule's 550 5.7.1 text,
 *   the next hop nothing;</li>
 *   <li>DISCARD: the client gets 250, the next hop nothing;</li>
 *   <li>IGNORE and REPLACE: the next hop gets the message without the ignored header and with
 *   the replaced one, everything else byte for byte (dot lines included);</li>
 *   <li>a clean message arrives unchanged but for the edge's Received header;</li>
 *   <li>the filter killed: 451 4.3.0 to the client, never a hung session.</li>
 * </ul>
 * It also records the latency the check adds to the DATA reply (clean messages, with the
 * check against without it) in {@code target/content-check-latency.txt}: a figure, not asserted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContentFilterIT {

    static final String HEADER_CHECKS = """
            /^Subject:.*\\b(viagra|cialis)\\b/   REJECT 5.7.1 Message content rejected (pharmacy spam)
            /^X-Spam-(Status|Flag|Score):/      IGNORE
            /^Subject:[[:space:]]*URGENT:[[:space:]]*(.*)$/  REPLACE Subject: [SUSPICIOUS] $1
            /^X-Drop-Me:/                       DISCARD dropped by test rule
            """;
    static final String BODY_CHECKS = """
            /^Click here to claim your prize/   REJECT 5.7.1 Lottery spam
            """;

    private Fleet fleet;
    private SmtpSink sink;
    private QuarkusApp filter;
    private Fleet.Edge edge;
    private Fleet.Edge plainEdge;

    @BeforeAll
    void start() throws IOException {
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink (Debian postfix) not installed");
        Path dir = Builds.freshDir("content-filter-tables");
        Path headers = Files.writeString(dir.resolve("header_checks"), HEADER_CHECKS, StandardCharsets.UTF_8);
        Path body = Files.writeString(dir.resolve("body_checks"), BODY_CHECKS, StandardCharsets.UTF_8);
        fleet = Fleet.start("content-filter", String.join("\n",
                "myhostname = mx.e2e.example", "mydestination = $myhostname, localhost",
                "relay_domains = example.com", "mynetworks = 192.0.2.0/24",
                "smtpd_client_event_limit_exceptions =",
                "header_checks = regexp:" + headers, "body_checks = regexp:" + body, ""));
        sink = fleet.closing(new SmtpSink()).start();
        filter = fleet.closing(fleet.contentFilter("content-filter"));
        filter.start();
        edge = fleet.edge("edge-checked", "127.0.0.1:" + sink.port());
        edge.app().env("PORTCULLIS_CONTENT_FILTER_URL", "http://127.0.0.1:" + filter.httpPort())
                .env("PORTCULLIS_CONTENT_FILTER_TOKEN", Fleet.CONTENT_TOKEN)
                .env("PORTCULLIS_CONTENT_FILTER_TIMEOUT", "5s");
        plainEdge = fleet.edge("edge-plain", "127.0.0.1:" + sink.port());
        QuarkusApp.startAll(edge.app(), plainEdge.app());
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Order(1)
    void headerAndBodyRejectsReachTheClientAndNothingTheNextHop() {
        int before = sink.messages().size();
        Reply r = Smtp.deliverRaw(edge, "127.90.1.1", "user@example.com",
                "Subject: cheap viagra now\r\n\r\nhello\r\n");
        assertEquals(550, r.code(), r.toString());
        assertTrue(r.lastLine().contains("5.7.1 Message content rejected (pharmacy spam)"), r.toString());
        Reply b = Smtp.deliverRaw(edge, "127.90.1.2", "user@example.com",
                "Subject: hello\r\n\r\nDear friend,\r\nClick here to claim your prize!\r\n");
        assertEquals("550 5.7.1 Lottery spam", b.lastLine());
        Reply d = Smtp.deliverRaw(edge, "127.90.1.3", "user@example.com",
                "Subject: fine\r\nX-Drop-Me: yes\r\n\r\nbody\r\n");
        assertEquals(250, d.code(), "DISCARD looks like a delivery: " + d);
        Fleet.pause(Duration.ofMillis(500));
        assertEquals(before, sink.messages().size(), "nothing rejected or discarded reached the next hop");
        assertTrue(edge.maillogText().contains("NOQUEUE: reject: header Subject: cheap viagra now from unknown[127.90.1.1]"),
                edge.maillogText());
    }

    @Test
    @Order(2)
    void rewritesReachTheNextHopAndTheRestIsByteExact() {
        int before = sink.messages().size();
        String body = "first line\r\n.a line that starts with a dot\r\n..two dots\r\nlast\r\n";
        Reply r = Smtp.deliverRaw(edge, "127.90.2.1", "user@example.com",
                "Subject: URGENT: wire the money\r\nX-Spam-Status: No, score=-5\r\nX-Keep: kept\r\n\r\n" + body);
        assertEquals(250, r.code(), r.toString());
        String got = lf(sink.awaitMessages(before + 1, Duration.ofSeconds(15)).get(before));
        assertTrue(got.contains("Subject: [SUSPICIOUS] wire the money\nX-Keep: kept\n\n"
                + body.replace("\r\n", "\n")), got);
        assertFalse(got.contains("X-Spam-Status"), got);
    }

    @Test
    @Order(3)
    void aCleanMessageIsForwardedUnchanged() {
        int before = sink.messages().size();
        String message = "From: a@client.e2e.example\r\nTo: user@example.com\r\nSubject: lunch\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee you at noon.\r\n";
        assertEquals(250, Smtp.deliverRaw(edge, "127.90.3.1", "user@example.com", message).code());
        String got = lf(sink.awaitMessages(before + 1, Duration.ofSeconds(15)).get(before));
        assertTrue(got.startsWith("Received: from client.e2e.example (unknown [127.90.3.1])\n"), got);
        assertTrue(got.endsWith(message.replace("\r\n", "\n")), got);
    }

    @Test
    @Order(4)
    void addedLatencyOfTheCheck() throws IOException {
        String message = "Subject: latency\r\n\r\n" + "a normal line of text\r\n".repeat(200);
        List<Long> checked = new ArrayList<>();
        List<Long> plain = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            checked.add(timedDot(edge, "127.90.4.1", message));
            plain.add(timedDot(plainEdge, "127.90.4.2", message));
        }
        checked = checked.subList(10, checked.size()); // warm-up
        plain = plain.subList(10, plain.size());
        String line = String.format(Locale.ROOT, "content check, reply to the final dot, %d clean 4.6 KB messages: "
                        + "with the check p50 %.1f ms p99 %.1f ms; without p50 %.1f ms p99 %.1f ms",
                checked.size(), pct(checked, 50), pct(checked, 99), pct(plain, 50), pct(plain, 99));
        System.out.println(line);
        Files.writeString(Builds.target().resolve("content-check-latency.txt"), line + "\n", StandardCharsets.UTF_8);
        assertTrue(pct(checked, 50) > 0);
    }

    @Test
    @Order(5)
    void aDeadFilterGivesA451NotAHungSession() {
        filter.kill();
        long t0 = System.nanoTime();
        Reply r = Smtp.deliverRaw(edge, "127.90.5.1", "user@example.com", "Subject: x\r\n\r\nbody\r\n");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals("451 4.3.0 Error: content check temporarily unavailable, try again later", r.lastLine());
        assertTrue(ms < 10_000, "answered in " + ms + " ms");
    }

    private static long timedDot(Fleet.Edge e, String ip, String message) {
        try (SmtpTestClient c = Smtp.connect(e, ip)) {
            c.readReply();
            c.command("EHLO client.e2e.example");
            c.command("MAIL FROM:<sender@client.e2e.example>");
            c.command("RCPT TO:<user@example.com>");
            c.command("DATA");
            c.sendRaw(message.getBytes(StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            Reply r = c.command(".");
            long us = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
            assertEquals(250, r.code(), r.toString());
            c.command("QUIT");
            return us;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static double pct(List<Long> micros, int p) {
        List<Long> s = new ArrayList<>(micros);
        s.sort(null);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1)) / 1000.0;
    }

    private static String lf(byte[] dump) {
        return new String(SmtpSink.content(dump), StandardCharsets.UTF_8);
    }
}
