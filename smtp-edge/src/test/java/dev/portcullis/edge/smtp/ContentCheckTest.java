package dev.portcullis.edge.smtp;

import com.sun.net.httpserver.HttpServer;
import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.content.ContentFilterClient;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge's content check at end of DATA against a scripted HTTP peer standing in for the
 * content-filter (the real service end to end is e2e's ContentFilterIT): what the filter is
 * sent, and what the client and the next hop (a real smtp-sink) get for each verdict, and for
 * a filter that is down, hangs, or answers nonsense — never a hung session.
 */
class ContentCheckTest {

    private Vertx vertx;
    private SmtpSink sink;
    private SmtpServer server;
    private MailLog log;
    private Path logFile;
    private HttpServer filter;
    private ContentFilterClient client;
    private final List<SessionEvent> events = new CopyOnWriteArrayList<>();
    private final AtomicReference<Function<byte[], String>> answer = new AtomicReference<>();
    private final AtomicReference<byte[]> lastBody = new AtomicReference<>();
    private final AtomicReference<String> lastQuery = new AtomicReference<>();
    private final AtomicReference<String> lastAuth = new AtomicReference<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile long delayMillis;
    private volatile int status = 200;

    @BeforeEach
    void startFilter() throws Exception {
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not installed");
        filter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        filter.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        filter.createContext("/api/v1/check", ex -> {
            requests.incrementAndGet();
            byte[] body = ex.getRequestBody().readAllBytes();
            lastBody.set(body);
            lastQuery.set(ex.getRequestURI().getRawQuery());
            lastAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] out = answer.get().apply(body).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        filter.start();
    }

    private void startEdge(String failureAction, Duration timeout, int breakerVolume, int filterPort)
            throws Exception {
        vertx = Vertx.vertx();
        sink = new SmtpSink().start();
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(String.join("\n",
                "myhostname = content.example", "mydestination = ours.example", "mynetworks = 192.0.2.0/24",
                "smtpd_client_event_limit_exceptions =", "smtpd_error_sleep_time = 0"), "content-test.cf").parameters(),
                "127.0.0.1:" + sink.port(), "content-test");
        logFile = Files.createTempFile("content", ".maillog");
        log = new MailLog(logFile, "postfix", "content.example", Clock.systemUTC());
        client = new ContentFilterClient(vertx, URI.create("http://127.0.0.1:" + filterPort), "filter-token", timeout,
                breakerVolume, Duration.ofSeconds(60));
        ContentCheck check = new ContentCheck(client, ContentCheck.FailureAction.parse(failureAction), 10_240_000);
        server = new SmtpServer(HandBuiltServices.build(vertx, settings, new ClusterVerdicts(Clock.systemUTC(), 100),
                HandBuiltServices.noBans(), check, events::add, log, Duration.ofSeconds(10)), "127.0.0.1", 0);
        server.start(2).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void startEdge() throws Exception {
        startEdge("tempfail", Duration.ofSeconds(10), 20, filter.getAddress().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
        if (client != null) {
            client.close();
        }
        if (filter != null) {
            filter.stop(0);
        }
        if (sink != null) {
            sink.close();
        }
        if (log != null) {
            log.close();
            Files.deleteIfExists(logFile);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** One transaction from 127.0.15.x up to the reply to the final dot. */
    private SmtpTestClient.Reply send(String from, String message) throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", server.port(), from, Duration.ofSeconds(20))) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("EHLO client.example").code());
            assertEquals(250, c.command("MAIL FROM:<sender@example.org>").code());
            assertEquals(250, c.command("RCPT TO:<one@ours.example>").code());
            assertEquals(250, c.command("RCPT TO:<two@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(message.getBytes(StandardCharsets.UTF_8));
            SmtpTestClient.Reply r = c.command(".");
            assertEquals(221, c.command("QUIT").code(), "the session goes on after the verdict");
            return r;
        }
    }

    private static final String MESSAGE = "Subject: cheap pills\r\nX-Mailer: spam 1.0\r\n\r\nline one\r\n"
            + "..a line that starts with a dot\r\nlast line\r\n";

    private static String verdict(String decision, String more) {
        return "{\"decision\":\"" + decision + "\"" + (more.isEmpty() ? "" : "," + more) + ",\"future\":{\"x\":1}}";
    }

    @Test
    void theFilterGetsTheMessageAsReceivedAndItsRejectReachesTheClient() throws Exception {
        startEdge();
        answer.set(body -> verdict("REJECT", "\"reply\":{\"code\":550,\"status\":\"5.7.1\",\"text\":\"no pills\"},"
                + "\"rule\":\"/etc/postfix/body_checks:3\",\"actions\":[{\"action\":\"REJECT\",\"checks\":\"body_checks\","
                + "\"rule\":\"/etc/postfix/body_checks:3\",\"line\":\"line one\",\"text\":\"no pills\"}]"));
        SmtpTestClient.Reply r = send("127.0.15.1", MESSAGE);
        assertEquals("550 5.7.1 no pills", r.lastLine());

        String seen = new String(lastBody.get(), StandardCharsets.UTF_8);
        assertTrue(seen.startsWith("Received: from client.example (unknown [127.0.15.1])\r\n"), seen);
        assertTrue(seen.endsWith("Subject: cheap pills\r\nX-Mailer: spam 1.0\r\n\r\nline one\r\n"
                + ".a line that starts with a dot\r\nlast line\r\n"), "dot-unstuffed, CRLF, no final dot: " + seen);
        assertEquals("sender=sender%40example.org&rcpt=one%40ours.example&rcpt=two%40ours.example&client=127.0.15.1"
                + "&helo=client.example", lastQuery.get());
        assertEquals("Bearer filter-token", lastAuth.get());
        assertOnlyTheMarkerArrives("a rejected message never reaches the next hop");
        SessionEvent.Reject reject = events.stream().filter(e -> e instanceof SessionEvent.Reject)
                .map(e -> (SessionEvent.Reject) e).findFirst().orElseThrow();
        assertEquals("END-OF-MESSAGE", reject.stage());
        assertEquals("body_checks", reject.check());
        assertEquals(550, reject.code());
        assertTrue(Files.readString(logFile).contains("NOQUEUE: reject: body line one from unknown[127.0.15.1]; "
                + "from=<sender@example.org> to=<two@ours.example> proto=ESMTP helo=<client.example>: 5.7.1 no pills"
                + " (/etc/postfix/body_checks:3)"), Files.readString(logFile));
    }

    @Test
    void discardTellsTheClientQueuedAndForwardsNothing() throws Exception {
        startEdge();
        answer.set(body -> verdict("DISCARD", "\"rule\":\"header_checks:1\",\"actions\":[{\"action\":\"DISCARD\","
                + "\"checks\":\"header_checks\",\"line\":\"Subject: cheap pills\"}]"));
        SmtpTestClient.Reply r = send("127.0.15.2", MESSAGE);
        assertEquals(250, r.code());
        assertTrue(r.lastLine().startsWith("250 2.0.0 Ok: queued as "), r.toString());
        assertOnlyTheMarkerArrives("a discarded message never reaches the next hop");
        assertTrue(events.stream().anyMatch(e -> e instanceof SessionEvent.Reject rj && rj.code() == 250
                && "header_checks".equals(rj.check())), "the bus hears of the discard");
    }

    @Test
    void editsAndAddedHeadersAreAppliedToWhatIsForwarded() throws Exception {
        startEdge();
        answer.set(body -> {
            String m = new String(body, StandardCharsets.UTF_8);
            int subject = m.indexOf("Subject: cheap pills\r\n");
            int mailer = m.indexOf("X-Mailer: spam 1.0\r\n");
            return verdict("ACCEPT", "\"addHeaders\":[\"X-Hold: manual review\"],\"redirect\":\"abuse@ours.example\","
                    + "\"edits\":[{\"kind\":\"REPLACE\",\"offset\":" + subject + ",\"length\":22,"
                    + "\"text\":\"Subject: [SPAM] cheap pills\\r\\n\"},{\"kind\":\"DELETE\",\"offset\":" + mailer
                    + ",\"length\":20},{\"kind\":\"PREPEND\",\"offset\":" + subject
                    + ",\"length\":0,\"text\":\"X-Checked: yes\\r\\n\"}]");
        });
        SmtpTestClient.Reply r = send("127.0.15.3", MESSAGE);
        assertEquals(250, r.code(), r.toString());
        // smtp-sink's dump has LF line ends
        String forwarded = forwarded();
        assertTrue(forwarded.startsWith("X-Hold: manual review\nX-Portcullis-Redirect: abuse@ours.example\n"
                + "Received: from client.example"), forwarded);
        assertTrue(forwarded.contains("X-Checked: yes\nSubject: [SPAM] cheap pills\n\nline one\n"
                + ".a line that starts with a dot\nlast line\n"), "edited, the dot line intact: " + forwarded);
        assertFalse(forwarded.contains("X-Mailer"), forwarded);
    }

    @Test
    void aFilterThatIsDownGivesA451AndWithFailOpenTheMessageGoesThroughUnchecked() throws Exception {
        int closed = FreePort.find();
        startEdge("tempfail", Duration.ofSeconds(5), 20, closed);
        SmtpTestClient.Reply r = send("127.0.15.4", MESSAGE);
        assertEquals("451 4.3.0 Error: content check temporarily unavailable, try again later", r.lastLine());
        stop();
        events.clear();
        startFilter();
        startEdge("accept", Duration.ofSeconds(5), 20, closed);
        SmtpTestClient.Reply open = send("127.0.15.5", MESSAGE);
        assertEquals(250, open.code(), open.toString());
        String forwarded = forwarded();
        assertTrue(forwarded.contains("Subject: cheap pills\nX-Mailer: spam 1.0\n\nline one\n"), forwarded);
        assertTrue(Files.readString(logFile).contains("content filter failed, message forwarded unchecked"));
    }

    @Test
    void aHangingFilterTimesOutAndTheBreakerThenStopsAsking() throws Exception {
        startEdge("tempfail", Duration.ofMillis(500), 4, filter.getAddress().getPort());
        answer.set(body -> verdict("ACCEPT", ""));
        delayMillis = 5_000;
        for (int i = 0; i < 4; i++) {
            long t0 = System.nanoTime();
            SmtpTestClient.Reply r = send("127.0.15.6", MESSAGE);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(451, r.code(), r.toString());
            assertTrue(ms < 4_500, "the session did not wait for the hung filter: " + ms + " ms");
        }
        int asked = requests.get();
        SmtpTestClient.Reply r = send("127.0.15.6", MESSAGE);
        assertEquals(451, r.code());
        assertEquals(asked, requests.get(), "the open breaker answered without calling the filter");
        assertTrue(client.failures() >= 5);
    }

    /**
     * Proves that nothing the test sent before reached the next hop, without sleeping: a marker
     * message accepted by the filter goes through after the earlier sessions have ended, so once
     * the marker is at the sink anything earlier would be there too, and only the marker is.
     */
    private void assertOnlyTheMarkerArrives(String why) throws Exception {
        status = 200;
        delayMillis = 0;
        answer.set(body -> verdict("ACCEPT", ""));
        assertEquals(250, send("127.0.15.99", "Subject: marker\r\n\r\nmarker\r\n").code());
        List<byte[]> got = sink.awaitMessages(1, Duration.ofSeconds(10));
        assertEquals(1, got.size(), why);
        assertTrue(new String(SmtpSink.content(got.get(0)), StandardCharsets.UTF_8).contains("Subject: marker"), why);
    }

    /** The one message the sink got, as its dump shows it (LF line ends). */
    private String forwarded() {
        return new String(SmtpSink.content(sink.awaitMessages(1, Duration.ofSeconds(10)).get(0)),
                StandardCharsets.UTF_8);
    }

    @Test
    void nonsenseFromTheFilterIsAFailureNotAnAcceptance() throws Exception {
        startEdge();
        answer.set(body -> "<html>oops</html>");
        assertEquals(451, send("127.0.15.7", MESSAGE).code());
        answer.set(body -> "{\"no\":\"decision\"}");
        assertEquals(451, send("127.0.15.7", MESSAGE).code());
        status = 401;
        answer.set(body -> "{\"error\":\"bad token\"}");
        assertEquals(451, send("127.0.15.7", MESSAGE).code());
        assertOnlyTheMarkerArrives("nothing unchecked gets through");
    }
}
