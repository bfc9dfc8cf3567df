package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpSink;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** Against a real SMTP server: Postfix's smtp-sink(1). */
class NextHopClientSmtpSinkTest {

    private static final String EHLO = "edge.portcullis.test";

    private Vertx vertx;
    private Context context;
    private final List<SmtpSink> sinks = new ArrayList<>();
    private final List<NextHopClient> clients = new ArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (NextHopClient c : clients) {
            get(c.close());
        }
        sinks.forEach(SmtpSink::close);
        get(vertx.close());
    }

    /** Starts smtp-sink with extra options (e.g. "-f", "RCPT"); closed after the test. */
    private SmtpSink sink(String... options) {
        SmtpSink s = SmtpSink.withArgs(options);
        sinks.add(s);
        return s.start();
    }

    static NextHop hop(SmtpSink sink) {
        return new NextHop("127.0.0.1", sink.port());
    }

    /** The one dump file, once smtp-sink has created it. */
    static Path onlyDump(SmtpSink sink) {
        return await().atMost(Duration.ofSeconds(20)).until(sink::dumpFiles, f -> f.size() == 1).get(0);
    }

    private NextHopClient client(Duration timeout, NextHop... hops) {
        NextHopClient c = new NextHopClient(vertx, List.of(hops), timeout, EHLO, 2048, 100);
        clients.add(c);
        return c;
    }

    static <T> T get(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static Throwable failure(Future<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(f));
        return e.getCause();
    }

    /** Dot-stuffs and CRLF-terminates lines, as the edge hands content over. */
    static byte[] wire(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            sb.append(line.startsWith(".") ? "." : "").append(line).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The message part of an smtp-sink dump: everything after its three-line Received header. */
    static byte[] dumpBody(byte[] dump) {
        String head = new String(dump, StandardCharsets.ISO_8859_1);
        int received = head.indexOf("\nReceived: ");
        int end = received;
        for (int i = 0; i < 3; i++) {
            end = head.indexOf('\n', end + 1);
        }
        return java.util.Arrays.copyOfRange(dump, end + 1, dump.length);
    }

    @Test
    void fullTransactionArrivesByteExact() throws Exception {
        SmtpSink sink = sink();
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        assertTrue(s.extensions().containsAll(List.of("PIPELINING", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES")),
                s.extensions().toString());
        assertFalse(s.supports("SIZE"), "smtp-sink announces no SIZE");

        assertEquals(SmtpReply.of(250, "2.1.0", "Ok"), get(s.mail("FROM:<a@example.org> SIZE=4242 BODY=8BITMIME")));
        assertEquals(SmtpReply.of(250, "2.1.5", "Ok"), get(s.rcpt("TO:<c@example.net> NOTIFY=NEVER")));
        assertEquals(250, get(s.rcpt("TO:<d@example.net>")).code());
        SmtpReply go = get(s.data());
        assertEquals(354, go.code());

        List<String> lines = List.of("From: a@example.org", "To: c@example.net", "Subject: relay test", "",
                "plain line", ".leading dot", "..two dots", ".", " . ", "8-bit: \u00e9\u00fc\u20ac", "x".repeat(998),
                "", "last line");
        byte[] wire = wire(lines);
        // Odd chunk sizes, so CRLF and stuffed dots straddle chunk boundaries.
        for (int off = 0, n = 7; off < wire.length; off += n, n = n == 7 ? 1000 : 7) {
            get(s.write(Buffer.buffer(java.util.Arrays.copyOfRange(wire, off, Math.min(wire.length, off + n)))));
        }
        SmtpReply done = get(s.endData());
        assertEquals(SmtpReply.of(250, "2.0.0", "Ok"), done);
        s.close();
        s.close(); // idempotent

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (String line : lines) {
            expected.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        expected.write('\n'); // smtp-sink's trailing empty line
        Path dump = onlyDump(sink);
        byte[] body = await().atMost(Duration.ofSeconds(10))
                .until(() -> dumpBody(Files.readAllBytes(dump)), b -> b.length >= expected.size());
        assertEquals(new String(expected.toByteArray(), StandardCharsets.UTF_8), new String(body, StandardCharsets.UTF_8));
        assertTrue(java.util.Arrays.equals(expected.toByteArray(), body), "byte-exact");

        String headers = Files.readString(dump, StandardCharsets.ISO_8859_1);
        assertTrue(headers.contains("X-Helo-Args: " + EHLO + "\n"), headers);
        assertTrue(headers.contains("X-Mail-Args: <a@example.org> BODY=8BITMIME\n"), "SIZE dropped: " + headers);
        assertTrue(headers.contains("X-Rcpt-Args: <c@example.net> NOTIFY=NEVER\n"), headers);
        assertTrue(headers.contains("X-Rcpt-Args: <d@example.net>\n"), headers);
    }

    @Test
    void parametersOfUnannouncedExtensionsAreDropped() throws Exception {
        SmtpSink sink = sink("-8", "-N"); // no 8BITMIME, no DSN
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org> BODY=8BITMIME RET=FULL ENVID=x"));
        get(s.rcpt("TO:<c@example.net> NOTIFY=NEVER ORCPT=rfc822;c@example.net"));
        get(s.data());
        get(s.write(Buffer.buffer("Subject: x\r\n\r\nbody\r\n")));
        assertEquals(250, get(s.endData()).code());
        String dump = await().until(() -> Files.readString(onlyDump(sink), StandardCharsets.ISO_8859_1),
                d -> d.endsWith("body\n\n"));
        assertTrue(dump.contains("X-Mail-Args: <a@example.org>\n"), dump);
        assertTrue(dump.contains("X-Rcpt-Args: <c@example.net>\n"), dump);
    }

    @Test
    void sessionCarriesSeveralTransactionsAndRset() throws Exception {
        SmtpSink sink = sink();
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org>"));
        assertEquals(250, get(s.rset()).code()); // smtp-sink says "250 2.1.0 Ok" to RSET
        for (int i = 0; i < 2; i++) {
            get(s.mail("FROM:<a@example.org>"));
            get(s.rcpt("TO:<c@example.net>"));
            get(s.data());
            get(s.write(Buffer.buffer("Subject: " + i + "\r\n\r\nbody\r\n")));
            assertEquals(250, get(s.endData()).code());
        }
        assertInstanceOf(IllegalStateException.class, failure(s.write(Buffer.buffer("x\r\n"))));
        s.close();
        assertEquals(NextHopException.Kind.CLOSED,
                assertInstanceOf(NextHopException.class, failure(s.mail("FROM:<a@b>"))).kind());
    }

    @Test
    void failsOverFromAClosedPortAndARefusingBanner() throws Exception {
        SmtpSink refusing = sink("-f", "CONNECT");
        SmtpSink working = sink();
        NextHop closed = new NextHop("127.0.0.1", FreePort.find());
        NextHopClient c = client(Duration.ofSeconds(10), closed, hop(refusing), hop(working));
        ProxySession s = get(c.open(context));
        assertEquals(hop(working), s.nextHop());
        assertEquals(250, get(s.mail("FROM:<a@example.org>")).code());
    }

    @Test
    void failsOverFromARefusedEhlo() throws Exception {
        SmtpSink refusing = sink("-f", "EHLO");
        SmtpSink working = sink();
        ProxySession s = get(client(Duration.ofSeconds(10), hop(refusing), hop(working)).open(context));
        assertEquals(hop(working), s.nextHop());
    }

    @Test
    void successiveSessionsRotateOverHops() throws Exception {
        SmtpSink one = sink();
        SmtpSink two = sink();
        NextHopClient c = client(Duration.ofSeconds(10), hop(one), hop(two));
        List<NextHop> used = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ProxySession s = get(c.open(context));
            used.add(s.nextHop());
            s.close();
        }
        assertEquals(List.of(hop(one), hop(two), hop(one), hop(two)), used);
    }

    @Test
    void allHopsDown() throws Exception {
        NextHop a = new NextHop("127.0.0.1", FreePort.find());
        NextHop b = new NextHop("127.0.0.1", FreePort.find());
        Throwable e = failure(client(Duration.ofSeconds(10), a, b).open(context));
        NextHopUnavailableException u = assertInstanceOf(NextHopUnavailableException.class, e);
        assertTrue(u.getMessage().contains(a.toString()) && u.getMessage().contains(b.toString()), u.getMessage());
        assertEquals("451 4.3.0 Error: queue file write error\r\n", ProxyReplies.forFailure(u).toWire());
    }

    @Test
    void permanentRejectOfRcptAndOfEndOfDataPassesThrough() throws Exception {
        SmtpSink sink = sink("-f", "RCPT", "-B", "550 5.1.1 <nobody@example.net>: Recipient address rejected");
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org>"));
        Future<SmtpReply> rcpt = s.rcpt("TO:<nobody@example.net>");
        get(rcpt);
        assertEquals("550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n",
                ProxyReplies.toClient(rcpt).toWire());
        assertTrue(s.isOpen(), "a rejection is not a failure");

        SmtpSink dot = sink("-f", ".");
        ProxySession d = get(client(Duration.ofSeconds(10), hop(dot)).open(context));
        get(d.mail("FROM:<a@example.org>"));
        get(d.rcpt("TO:<c@example.net>"));
        get(d.data());
        get(d.write(Buffer.buffer("Subject: x\r\n\r\nspam\r\n")));
        Future<SmtpReply> end = d.endData();
        get(end);
        assertEquals("500 5.3.0 Error: command failed\r\n", ProxyReplies.toClient(end).toWire());
        assertTrue(get(end).isPermanent());
    }

    @Test
    void transientRejectPassesThrough() throws Exception {
        SmtpSink sink = sink("-r", "MAIL");
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        Future<SmtpReply> mail = s.mail("FROM:<a@example.org>");
        SmtpReply r = get(mail);
        assertTrue(r.isTransient());
        assertEquals("450 4.3.0 Error: command failed\r\n", ProxyReplies.toClient(mail).toWire());
    }

    @Test
    void rejectInTheMiddleOfDataIsKeptForEndOfData() throws Exception {
        SmtpSink sink = sink("-A", "0"); // 550 right after 354, stops reading
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org>"));
        get(s.rcpt("TO:<c@example.net>"));
        assertEquals(354, get(s.data()).code());
        // Whether the 550 arrives before or after the content, it is the verdict endData() reports.
        get(s.write(Buffer.buffer("Subject: x\r\n\r\nbody\r\n")));
        SmtpReply r = get(s.endData());
        assertTrue(r.isPermanent(), r.toString());
        assertFalse(s.isOpen());
    }

    @Test
    void connectionDroppedAfterRcptFailsThePendingCommand() throws Exception {
        SmtpSink sink = sink("-q", "RCPT"); // hang up without replying
        ProxySession s = get(client(Duration.ofSeconds(10), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org>"));
        Future<SmtpReply> rcpt = s.rcpt("TO:<c@example.net>");
        NextHopException e = assertInstanceOf(NextHopException.class, failure(rcpt));
        assertEquals(NextHopException.Kind.LOST_CONNECTION, e.kind());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(rcpt));
    }

    @Test
    void slowNextHopTimesOut() throws Exception {
        SmtpSink sink = sink("-W", "MAIL:5");
        ProxySession s = get(client(Duration.ofMillis(300), hop(sink)).open(context));
        long t0 = System.nanoTime();
        Future<SmtpReply> mail = s.mail("FROM:<a@example.org>");
        NextHopException e = assertInstanceOf(NextHopException.class, failure(mail));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(NextHopException.Kind.TIMEOUT, e.kind());
        assertTrue(ms >= 250 && ms < 3000, "timed out after " + ms + " ms");
        assertFalse(s.isOpen());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(mail));
    }

    @Test
    void twentyMegabytesStreamWithBackpressure() throws Exception {
        // -H 1: smtp-sink waits a second before reading content, so the write queue must fill.
        SmtpSink sink = sink("-H", "1");
        ProxySession s = get(client(Duration.ofSeconds(30), hop(sink)).open(context));
        get(s.mail("FROM:<a@example.org>"));
        get(s.rcpt("TO:<c@example.net>"));
        get(s.data());

        byte[] line = ("y".repeat(76) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int linesPerChunk = 64 * 1024 / line.length;
        int chunks = 20 * 1024 * 1024 / (linesPerChunk * line.length) + 1;
        AtomicInteger waited = new AtomicInteger();
        AtomicLong sent = new AtomicLong();
        Promise<Void> done = Promise.promise();
        // Pump on the session's event loop: write, and only write the next chunk when the future completes.
        context.runOnContext(v -> new Object() {
            int i;

            void pump() {
                while (i < chunks) {
                    Buffer chunk = Buffer.buffer(linesPerChunk * line.length);
                    for (int k = 0; k < linesPerChunk; k++) {
                        chunk.appendBytes(line);
                    }
                    i++;
                    sent.addAndGet(chunk.length());
                    Future<Void> f = s.write(chunk);
                    if (!f.isComplete()) {
                        waited.incrementAndGet();
                        f.onSuccess(x -> pump()).onFailure(done::tryFail);
                        return;
                    }
                    if (f.failed()) {
                        done.tryFail(f.cause());
                        return;
                    }
                }
                done.tryComplete();
            }
        }.pump());
        get(done.future());
        assertTrue(waited.get() > 0, "the write queue never filled: no backpressure seen");
        assertEquals(250, get(s.endData()).code());

        long totalLines = sent.get() / line.length;
        long expectedBody = totalLines * (line.length - 1) + 1; // CRLF -> LF, plus sink's empty line
        Path dump = onlyDump(sink);
        long size = await().atMost(Duration.ofSeconds(30)).until(() -> (long) dumpBody(Files.readAllBytes(dump)).length,
                n -> n >= expectedBody);
        assertEquals(expectedBody, size);
        assertTrue(sent.get() >= 20L * 1024 * 1024);
    }
}
