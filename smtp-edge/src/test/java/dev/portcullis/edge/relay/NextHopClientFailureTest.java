package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

import static dev.portcullis.edge.relay.NextHopClientSmtpSinkTest.failure;
import static dev.portcullis.edge.relay.NextHopClientSmtpSinkTest.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/** Timing and failure cases smtp-sink cannot produce, against a scripted Vert.x server. */
class NextHopClientFailureTest {

    private static final Duration SHORT = Duration.ofMillis(300);

    private Vertx vertx;
    private Context context;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        get(vertx.close());
    }

    private ScriptedNextHop server(ScriptedNextHop.Script script) throws Exception {
        ScriptedNextHop s = new ScriptedNextHop(vertx, script);
        closeables.add(s);
        return s;
    }

    /** A server that sends banner and EHLO reply, then answers each command with {@code answer}. */
    private ScriptedNextHop answering(String answer) throws Exception {
        return server(ScriptedNextHop.greeting((socket, line) -> socket.write(answer)));
    }

    private NextHopClient client(Duration timeout, NextHop... hops) {
        NextHopClient c = new NextHopClient(vertx, List.of(hops), timeout, "edge.test", 512, 20);
        closeables.add(() -> get(c.close()));
        return c;
    }

    private static NextHopException nextHopFailure(Future<?> f) {
        return assertInstanceOf(NextHopException.class, failure(f));
    }

    @Test
    void silentServerTimesOutAtTheBannerAndOpenFails() throws Exception {
        ScriptedNextHop silent = server((socket, line) -> {
        });
        long t0 = System.nanoTime();
        Future<ProxySession> open = client(SHORT, silent.hop()).open(context);
        NextHopUnavailableException e = assertInstanceOf(NextHopUnavailableException.class, failure(open));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 250 && ms < 3000, "gave up after " + ms + " ms");
        assertTrue(e.getMessage().contains("timeout") && e.getMessage().contains("banner"), e.getMessage());
        assertEquals("451 4.3.0 Error: queue file write error\r\n", ProxyReplies.forFailure(e).toWire());
    }

    @Test
    void silentAfterDataTimesOutWaitingForTheVerdict() throws Exception {
        ScriptedNextHop server = server(ScriptedNextHop.greeting((socket, line) -> {
            if (line.equals("DATA")) {
                socket.write("354 go\r\n");
            } else if (!line.equals(".") && !line.startsWith("Subject") && !line.isEmpty() && !line.equals("body")) {
                socket.write("250 ok\r\n");
            }
        }));
        ProxySession s = get(client(SHORT, server.hop()).open(context));
        get(s.mail("FROM:<a@b>"));
        get(s.rcpt("TO:<c@d>"));
        get(s.data());
        get(s.write(Buffer.buffer("Subject: x\r\n\r\nbody\r\n")));
        Future<SmtpReply> end = s.endData();
        assertEquals(NextHopException.Kind.TIMEOUT, nextHopFailure(end).kind());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(end));
        assertFalse(s.isOpen());
    }

    @Test
    void serverClosingMidDataFailsTheTransaction() throws Exception {
        AtomicBoolean hungUp = new AtomicBoolean();
        ScriptedNextHop server = server(ScriptedNextHop.greeting(new ScriptedNextHop.Script() {
            boolean inData;

            @Override
            public void line(NetSocket socket, String line) {
                if (inData) {
                    hungUp.set(true);
                    socket.close();
                } else if (line.equals("DATA")) {
                    inData = true;
                    socket.write("354 go\r\n");
                } else {
                    socket.write("250 ok\r\n");
                }
            }
        }));
        ProxySession s = get(client(Duration.ofSeconds(10), server.hop()).open(context));
        get(s.mail("FROM:<a@b>"));
        get(s.rcpt("TO:<c@d>"));
        get(s.data());
        s.write(Buffer.buffer("Subject: first chunk\r\n"));
        await().atMost(Duration.ofSeconds(10)).until(() -> hungUp.get() && !s.isOpen());
        assertEquals(NextHopException.Kind.LOST_CONNECTION, nextHopFailure(s.write(Buffer.buffer("more\r\n"))).kind());
        Future<SmtpReply> end = s.endData();
        assertEquals(NextHopException.Kind.LOST_CONNECTION, nextHopFailure(end).kind());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(end));
    }

    @Test
    void multiLineRejectionPassesThroughUnchanged() throws Exception {
        String reject = "550-5.7.1 Message rejected as spam\r\n550-5.7.1 see https://example.net/why\r\n"
                + "550 5.7.1 reference 1234\r\n";
        ProxySession s = get(client(SHORT, answering(reject).hop()).open(context));
        Future<SmtpReply> mail = s.mail("FROM:<a@b>");
        get(mail);
        assertEquals(reject, ProxyReplies.toClient(mail).toWire());
        assertTrue(s.isOpen());
    }

    @Test
    void garbageReplyClosesTheSession() throws Exception {
        ProxySession s = get(client(SHORT, answering("HTTP/1.1 400 Bad Request\r\n\r\n").hop()).open(context));
        Future<SmtpReply> mail = s.mail("FROM:<a@b>");
        assertEquals(NextHopException.Kind.PROTOCOL, nextHopFailure(mail).kind());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(mail));
        assertFalse(s.isOpen());
    }

    @Test
    void unexpectedPositiveReplyBecomes451AsInPostfix() throws Exception {
        // 250 to DATA (instead of 354): Postfix 2.6+ replaces unexpected 2xx/3xx with its generic 451.
        ProxySession s = get(client(SHORT, answering("250 sure\r\n").hop()).open(context));
        get(s.mail("FROM:<a@b>"));
        get(s.rcpt("TO:<c@d>"));
        Future<SmtpReply> data = s.data();
        assertEquals(NextHopException.Kind.UNEXPECTED_REPLY, nextHopFailure(data).kind());
        assertEquals(ProxyReplies.QUEUE_FILE_WRITE_ERROR, ProxyReplies.toClient(data));
    }

    @Test
    void overlongReplyLineIsCutAndControlBytesCensored() throws Exception {
        ProxySession s = get(client(SHORT, answering("550 " + "x".repeat(100_000) + "\r\n").hop()).open(context));
        SmtpReply r = get(s.mail("FROM:<a@b>"));
        assertEquals(550, r.code());
        assertEquals(512 - 4, r.lines().get(0).length());

        ProxySession t = get(client(SHORT, answering("554 no\u001b[2J\rthanks\r\n").hop()).open(context));
        assertEquals("554 no?[2J?thanks\r\n", get(t.mail("FROM:<a@b>")).toWire());
    }

    @Test
    void unsolicitedReplyClosesTheSession() throws Exception {
        List<NetSocket> sockets = new CopyOnWriteArrayList<>();
        ScriptedNextHop server = server(new ScriptedNextHop.Script() {
            @Override
            public void connected(NetSocket socket) {
                sockets.add(socket);
                socket.write("220 fake\r\n");
            }

            @Override
            public void line(NetSocket socket, String line) {
                socket.write("250 fake\r\n");
            }
        });
        ProxySession s = get(client(SHORT, server.hop()).open(context));
        sockets.get(0).write("421 4.3.2 shutting down\r\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> !s.isOpen());
        assertEquals(NextHopException.Kind.PROTOCOL, nextHopFailure(s.mail("FROM:<a@b>")).kind());
    }

    @Test
    void lineBreaksInArgumentsAreRefusedNotSent() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        ScriptedNextHop server = server(ScriptedNextHop.greeting((socket, line) -> {
            seen.add(line);
            socket.write("250 ok\r\n");
        }));
        ProxySession s = get(client(SHORT, server.hop()).open(context));
        assertInstanceOf(IllegalArgumentException.class,
                failure(s.mail("FROM:<a@b>\r\nRCPT TO:<victim@example.com>")));
        assertEquals(250, get(s.mail("FROM:<a@b>")).code());
        assertEquals(List.of("MAIL FROM:<a@b>"), seen);
    }

    @Test
    void overlappingCommandsAreRefused() throws Exception {
        ScriptedNextHop server = server(ScriptedNextHop.greeting((socket, line) -> {
        }));
        ProxySession s = get(client(Duration.ofSeconds(10), server.hop()).open(context));
        Future<SmtpReply> first = s.mail("FROM:<a@b>");
        assertInstanceOf(IllegalStateException.class, failure(s.rcpt("TO:<c@d>")));
        s.close();
        assertEquals(NextHopException.Kind.CLOSED, nextHopFailure(first).kind());
    }

    @Test
    void settingsAreValidatedNamingTheSetting() {
        List<NextHop> hops = List.of(new NextHop("127.0.0.1", 25));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NextHopClient(vertx, hops, Duration.ZERO, "edge", 512, 10));
        assertTrue(e.getMessage().contains("smtpd_proxy_timeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NextHopClient(vertx, hops, SHORT, "edge\r\nRSET", 512, 10));
        assertTrue(e.getMessage().contains("smtpd_proxy_ehlo"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NextHopClient(vertx, hops, SHORT, "edge", 100, 10));
        assertThrows(IllegalArgumentException.class, () -> new NextHopClient(vertx, List.of(), SHORT, "edge", 512, 10));
    }
}
