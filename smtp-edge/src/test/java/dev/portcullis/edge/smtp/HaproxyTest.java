package dev.portcullis.edge.smtp;

import dev.portcullis.events.SessionEvent;
import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A REAL haproxy (Debian's package) on loopback in front of the edge, one frontend with
 * {@code send-proxy} (v1) and one with {@code send-proxy-v2}: the client's own address
 * (127.0.0.77, 127.0.0.78), not haproxy's 127.0.0.1, is the client the edge judges.
 */
class HaproxyTest {

    private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");

    private TestEdge edge;
    private Process haproxy;
    private Path dir;

    @AfterEach
    void stop() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly();
            }
        }
        if (edge != null) {
            edge.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void sendProxyAndSendProxyV2CarryTheClientsAddress() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(HAPROXY), "haproxy not installed (bin/install-test-peers)");
        edge = new TestEdge(FreePort.find(),
                "smtpd_upstream_proxy_protocol = haproxy",
                "portcullis_upstream_proxy_networks = 127.0.0.1/32",
                "smtpd_client_restrictions = check_client_access inline:{127.0.0.78=REJECT}");
        int v1 = FreePort.find();
        int v2 = FreePort.find();
        dir = Files.createTempDirectory("haproxy");
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, """
                global
                    maxconn 100
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend v1
                    bind 127.0.0.1:%d
                    default_backend edge_v1
                frontend v2
                    bind 127.0.0.1:%d
                    default_backend edge_v2
                backend edge_v1
                    server edge 127.0.0.1:%d send-proxy source 127.0.0.1
                backend edge_v2
                    server edge 127.0.0.1:%d send-proxy-v2 source 127.0.0.1
                """.formatted(v1, v2, edge.port(), edge.port()), StandardCharsets.US_ASCII);
        haproxy = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        FreePort.awaitListening(v1, Duration.ofSeconds(20), haproxy::isAlive, this::haproxyLog);
        FreePort.awaitListening(v2, Duration.ofSeconds(20), haproxy::isAlive, this::haproxyLog);

        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", v1, "127.0.0.77", Duration.ofSeconds(10))) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("HELO client.example").code());
            assertEquals(221, c.command("QUIT").code());
        }
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", v2, "127.0.0.78", Duration.ofSeconds(10))) {
            assertEquals(220, c.readReply().code());
            assertEquals(250, c.command("HELO client.example").code());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
            assertEquals("554 5.7.1 <unknown[127.0.0.78]>: Client host rejected: Access denied",
                    c.command("RCPT TO:<u@ours.example>").lastLine());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> edge.events.stream()
                .filter(e -> e instanceof SessionEvent.Disconnect).count() == 2);
        assertTrue(edge.events.stream().anyMatch(e -> e instanceof SessionEvent.Connect
                && e.meta().clientIp().equals("127.0.0.77")), edge.events.toString());
        assertTrue(edge.events.stream().anyMatch(e -> e instanceof SessionEvent.Reject
                && e.meta().clientIp().equals("127.0.0.78")), edge.events.toString());
        assertTrue(edge.events.stream().noneMatch(e -> e.meta().clientIp().equals("127.0.0.1")), edge.events.toString());
        edge.awaitLog(l -> l.contains("connect from unknown[127.0.0.77]"));
        assertEquals(2.0, edge.counter("portcullis.edge.proxy.accepted", "command", "proxy"));
    }

    private String haproxyLog() {
        try {
            return Files.readString(dir.resolve("haproxy.log"));
        } catch (java.io.IOException e) {
            return "(no haproxy log: " + e + ")";
        }
    }
}
