package dev.portcullis.edge.smtp;

import dev.portcullis.events.Decision;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PROXY protocol on a real listener, with real v1 and v2 headers written over sockets:
 * the address a header carries is the client for the greeting, events, logs, anvil limits,
 * the ban gate and the restrictions (mynetworks, check_client_access); a header from outside
 * portcullis_upstream_proxy_networks, a malformed, overlong or slow one is refused without a
 * byte of SMTP, logged with the real peer and counted.
 */
class UpstreamProxyTest {

    /** The trusted "load balancer" is 127.0.0.1; 127.0.0.2 is anyone else. */
    private static final String LB = "127.0.0.1";
    private static final String STRANGER = "127.0.0.2";

    private TestEdge edge;

    private TestEdge start(String... extra) throws Exception {
        String[] base = {
                "smtpd_upstream_proxy_protocol = haproxy",
                "portcullis_upstream_proxy_networks = 127.0.0.1/32, [::1]/128",
                "smtpd_upstream_proxy_timeout = 1s",
                "smtpd_client_restrictions = check_client_access inline:{198.51.100.7=REJECT}",
                "smtpd_client_connection_count_limit = 2"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        edge = new TestEdge(FreePort.find(), all);
        return edge;
    }

    @AfterEach
    void stop() throws Exception {
        if (edge != null) {
            edge.close();
        }
    }

    // ------------------------------------------------------------------ headers

    static byte[] v1(String src, String dst, int sport, int dport) {
        String family = src.contains(":") ? "TCP6" : "TCP4";
        return ("PROXY " + family + " " + src + " " + dst + " " + sport + " " + dport + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 header: command 1 = PROXY, 0 = LOCAL; family 0x11 TCP4, 0x21 TCP6, 0x00 UNSPEC; TLV bytes appended. */
    static byte[] v2(int command, int family, String src, String dst, int sport, int dport, byte[] tlvs)
            throws IOException {
        ByteArrayOutputStream addr = new ByteArrayOutputStream();
        if (family != 0) {
            addr.write(InetAddress.getByName(src).getAddress());
            addr.write(InetAddress.getByName(dst).getAddress());
            addr.write(ByteBuffer.allocate(4).putShort((short) sport).putShort((short) dport).array());
        }
        addr.write(tlvs);
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[]{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        h.write(0x20 | command);
        h.write(family);
        h.write(ByteBuffer.allocate(2).putShort((short) addr.size()).array());
        h.write(addr.toByteArray());
        return h.toByteArray();
    }

    /** A TLV of type 0x04 (NOOP) with {@code n} bytes, and one of type 0x01 (ALPN). */
    static byte[] tlvs(int n) {
        ByteBuffer b = ByteBuffer.allocate(3 + n + 3 + 4);
        b.put((byte) 0x04).putShort((short) n).put(new byte[n]);
        b.put((byte) 0x01).putShort((short) 4).put("smtp".getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    private SmtpTestClient through(String from, byte[] header) throws IOException {
        SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.port(), from, Duration.ofSeconds(10));
        c.sendRaw(header);
        return c;
    }

    private SmtpTestClient proxied(String client) throws IOException {
        return through(LB, v1(client, client.contains(":") ? "::1" : "127.0.0.1", 40000, 25));
    }

    private SessionEvent.Connect connectOf(String ip) {
        await().atMost(Duration.ofSeconds(10)).until(() -> edge.events.stream()
                .anyMatch(e -> e instanceof SessionEvent.Connect && e.meta().clientIp().equals(ip)));
        return edge.events.stream().filter(e -> e instanceof SessionEvent.Connect && e.meta().clientIp().equals(ip))
                .map(e -> (SessionEvent.Connect) e).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ the proxied client is the client

    @Test
    void v1HeaderMakesItsSourceTheClientOfEventsAndLogs() throws Exception {
        start();
        try (SmtpTestClient c = proxied("203.0.113.9")) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("EHLO client.example").code());
            assertEquals(221, c.command("QUIT").code());
        }
        assertEquals(40000, connectOf("203.0.113.9").clientPort());
        edge.awaitLog(l -> l.contains("connect from unknown[203.0.113.9]"));
        edge.awaitLog(l -> l.contains("disconnect from unknown[203.0.113.9]"));
        assertTrue(edge.events.stream().allMatch(e -> e.meta().clientIp().equals("203.0.113.9")),
                "no event names the load balancer: " + edge.events);
        assertEquals(1.0, edge.counter("portcullis.edge.proxy.accepted", "command", "proxy"));
    }

    @Test
    void noGreetingBeforeTheHeaderEnds() throws Exception {
        start();
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.port(), LB, Duration.ofSeconds(10))) {
            byte[] header = v1("203.0.113.10", "127.0.0.1", 40001, 25);
            c.sendRaw(java.util.Arrays.copyOf(header, 20));
            c.timeout(Duration.ofMillis(300));
            assertThrows(SocketTimeoutException.class, c::readReply, "no greeting for half a header");
            c.timeout(Duration.ofSeconds(10));
            c.sendRaw(java.util.Arrays.copyOfRange(header, 20, header.length));
            assertEquals(220, c.readReply().code());
        }
        connectOf("203.0.113.10");
    }

    @Test
    void v2WithTlvsAndPipelinedSmtpInTheSameWrite() throws Exception {
        start();
        byte[] header = v2(1, 0x11, "203.0.113.11", "127.0.0.1", 40002, 25, tlvs(200));
        byte[] ehlo = "EHLO pipelined.example\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] both = java.util.Arrays.copyOf(header, header.length + ehlo.length);
        System.arraycopy(ehlo, 0, both, header.length, ehlo.length);
        try (SmtpTestClient c = through(LB, both)) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.readReply().code(), "the EHLO after the header is the first SMTP command");
        }
        assertEquals(40002, connectOf("203.0.113.11").clientPort());
    }

    @Test
    void v1AndV2OverIpv6() throws Exception {
        start();
        try (SmtpTestClient c = proxied("2001:db8::17")) {
            assertEquals(220, c.readReply().code());
        }
        try (SmtpTestClient c = through(LB, v2(1, 0x21, "2001:db8::18", "2001:db8::1", 40003, 25, new byte[0]))) {
            assertEquals(220, c.readReply().code());
        }
        connectOf("2001:db8:0:0:0:0:0:17");
        connectOf("2001:db8:0:0:0:0:0:18");
    }

    @Test
    void localUnknownAndUnspecLeaveTheProxyAsTheClient() throws Exception {
        start();
        List<byte[]> headers = List.of(
                v2(0, 0x11, "203.0.113.12", "127.0.0.1", 1, 25, new byte[0]), // LOCAL: addresses ignored
                v2(1, 0x00, null, null, 0, 0, tlvs(8)),                        // PROXY, AF_UNSPEC
                "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
        for (byte[] h : headers) {
            try (SmtpTestClient c = through(LB, h)) {
                assertEquals(220, c.readReply().code());
                assertEquals(221, c.command("QUIT").code());
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> edge.events.stream()
                .filter(e -> e instanceof SessionEvent.Connect).count() == 4);
        assertTrue(edge.events.stream().allMatch(e -> e.meta().clientIp().equals(LB)), edge.events.toString());
        assertEquals(4.0, edge.counter("portcullis.edge.proxy.accepted", "command", "local"));
    }

    @Test
    void restrictionsJudgeTheProxiedClient() throws Exception {
        start("relay_domains =");
        try (SmtpTestClient c = proxied("198.51.100.7")) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("HELO x.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
            SmtpTestClient.Reply r = c.command("RCPT TO:<u@ours.example>");
            assertEquals("554 5.7.1 <unknown[198.51.100.7]>: Client host rejected: Access denied", r.lastLine());
        }
        // mynetworks = 192.0.2.0/24: a proxied client in it may relay, the LB itself may not.
        try (SmtpTestClient c = proxied("192.0.2.5")) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("HELO x.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
            SmtpTestClient.Reply r = c.command("RCPT TO:<u@elsewhere.example>");
            assertTrue(r.code() != 554, "permit_mynetworks saw the proxied address: " + r);
        }
        try (SmtpTestClient c = proxied("203.0.113.13")) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("HELO x.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
            // Postfix's default smtpd_relay_restrictions end in defer_unauth_destination.
            assertEquals("454 4.7.1 <u@elsewhere.example>: Relay access denied",
                    c.command("RCPT TO:<u@elsewhere.example>").lastLine());
        }
    }

    @Test
    void anvilCountsTheProxiedClientNotTheLoadBalancer() throws Exception {
        start();
        try (SmtpTestClient a = proxied("203.0.113.20"); SmtpTestClient b = proxied("203.0.113.20")) {
            assertEquals(220, a.readReply().code());
            assertEquals(220, b.readReply().code());
            try (SmtpTestClient third = proxied("203.0.113.20")) {
                assertEquals("421 4.7.0 edge.example Error: too many connections from 203.0.113.20",
                        third.readReply().lastLine());
            }
            // Same load balancer, another client: not limited (the LB has three connections open).
            try (SmtpTestClient other = proxied("203.0.113.21")) {
                assertEquals(220, other.readReply().code());
            }
        }
        edge.awaitLog(l -> l.contains("Connection concurrency limit exceeded: 3 from unknown[203.0.113.20]"));
    }

    @Test
    void theBanGateSeesTheProxiedClient() throws Exception {
        start();
        edge.decisions.put(new Decision(Decision.SCHEMA, "203.0.113.66/32", Decision.Action.BAN, List.of(),
                "jail:postfix", "3 rejects", Instant.now(), Instant.now().plusSeconds(600), "test"));
        edge.decisions.put(new Decision(Decision.SCHEMA, "127.0.0.0/8", Decision.Action.BAN, List.of(),
                "manual", "the LB itself is never the client", Instant.now(), null, "test"));
        try (SmtpTestClient c = proxied("203.0.113.66")) {
            assertEquals("554 5.7.1 Service unavailable; Client host [203.0.113.66] blocked", c.readReply().lastLine());
        }
        try (SmtpTestClient c = proxied("203.0.113.67")) {
            assertEquals(220, c.readReply().code(), "a ban of the load balancer's address does not hit its clients");
        }
    }

    @Test
    void clusterVerdictsApplyToTheProxiedClient() throws Exception {
        start();
        Instant until = Instant.now().plusSeconds(600);
        edge.verdicts.apply("203.0.113.0/24", new Verdict(Verdict.SCHEMA, "203.0.113.0/24", Instant.now(), "test",
                List.of(new Verdict.Entry(Verdict.MESSAGE_RATE, 999, 1, until))));
        edge.verdicts.apply("127.0.0.1", new Verdict(Verdict.SCHEMA, "127.0.0.1", Instant.now(), "test",
                List.of(new Verdict.Entry(Verdict.CONNECTION_COUNT, 999, 1, until))));
        try (SmtpTestClient c = proxied("203.0.113.30")) {
            assertEquals(220, c.readReply().code(), "the verdict on the load balancer's own address does not apply");
            assertEquals(250, c.command("HELO x.example").code());
            assertEquals("450 4.7.1 Error: too much mail from 203.0.113.30",
                    c.command("MAIL FROM:<a@example.org>").lastLine());
        }
        edge.awaitLog(l -> l.contains("from unknown[203.0.113.30]") && l.contains("(cluster-wide)"));
    }

    // ------------------------------------------------------------------ refusals

    /** Reads to the end: the connection must close without a single byte. */
    private static void assertClosedSilently(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        try {
            int b = in.read();
            if (b != -1) {
                throw new AssertionError("got bytes: " + (char) b + new String(in.readNBytes(200),
                        StandardCharsets.US_ASCII));
            }
        } catch (SocketException reset) {
            // closed while our header was unread: a reset, still not a byte of SMTP
        }
    }

    private Socket raw(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", edge.port()), 5000);
        return s;
    }

    @Test
    void aHeaderFromAnUntrustedPeerIsRefused() throws Exception {
        start();
        try (Socket s = raw(STRANGER)) {
            s.getOutputStream().write(v1("192.0.2.5", "127.0.0.1", 1, 25));
            assertClosedSilently(s);
        }
        String line = edge.awaitLog(l -> l.contains("refusing connection from [127.0.0.2]"));
        assertTrue(line.contains("not in portcullis_upstream_proxy_networks"), line);
        assertEquals(1.0, edge.counter("portcullis.edge.proxy.refused", "reason", "untrusted"));
        assertTrue(edge.events.isEmpty(), "no session: " + edge.events);
    }

    @Test
    void malformedAndOverlongHeadersAreRefusedWithAClearLogLine() throws Exception {
        start();
        List<byte[]> bad = List.of(
                "EHLO i-am-not-a-proxy.example\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4 999.0.0.1 127.0.0.1 1 25\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4 203.0.113.1 127.0.0.1 01 25\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4 localhost 127.0.0.1 1 25\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP6 203.0.113.1 127.0.0.1 1 25\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4  203.0.113.1 127.0.0.1 1 25\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4 203.0.113.1 127.0.0.1 1 25\n".getBytes(StandardCharsets.US_ASCII),
                ("PROXY TCP4 " + "1".repeat(200)).getBytes(StandardCharsets.US_ASCII),
                v2(1, 0x11, "203.0.113.1", "127.0.0.1", 1, 25, tlvs(5000)),
                v2(1, 0x12, "203.0.113.1", "127.0.0.1", 1, 25, new byte[0]),     // UDP
                new byte[]{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x31, 0x11, 0, 0}); // v3
        for (byte[] h : bad) {
            try (Socket s = raw(LB)) {
                s.getOutputStream().write(h);
                assertClosedSilently(s);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                edge.counter("portcullis.edge.proxy.refused", "reason", "malformed") == bad.size());
        List<String> lines = edge.logLines();
        assertTrue(lines.stream().anyMatch(l -> l.contains("haproxy read from [127.0.0.1]:")
                && l.contains("not a PROXY protocol header; connection closed")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("v1 header longer than 107 bytes")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("longer than 4096")));
        assertTrue(lines.stream().noneMatch(l -> l.contains("i-am-not-a-proxy")), "the peer's bytes never reach the log");
        assertTrue(edge.events.isEmpty(), "no session: " + edge.events);
    }

    @Test
    void aSlowHeaderTimesOut() throws Exception {
        start();
        long started = System.nanoTime();
        try (Socket s = raw(LB)) {
            s.getOutputStream().write("PROXY TCP4 203.0.".getBytes(StandardCharsets.US_ASCII));
            assertClosedSilently(s);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis >= 900 && millis < 5000, "closed after smtpd_upstream_proxy_timeout (1s): " + millis + " ms");
        edge.awaitLog(l -> l.contains("no complete PROXY header within smtpd_upstream_proxy_timeout (1s)"));
        assertEquals(1.0, edge.counter("portcullis.edge.proxy.refused", "reason", "timeout"));
    }
}
