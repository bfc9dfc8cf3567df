package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.testkit.Dnsmasq;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import dev.portcullis.testkit.StubDnsServer;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNS restrictions through a real edge session: the client's name in the log lines and the
 * replies, a DNSBL refusal with its event and mail-log {@code check=}, pipelined commands
 * answered in order across a lookup, and a DNS server that never answers: the session gets
 * Postfix's temporary failure after the resolver's timeout while another session on the
 * same (single) event loop is served at once.
 */
class DnsSessionTest {

    private static Dnsmasq dns;
    private static StubDnsServer silent;
    private static SmtpSink sink;

    private record Edge(Vertx vertx, SmtpServer server, MailLog log, Path logFile, Queue<SessionEvent> events)
            implements AutoCloseable {
        String maillog() throws Exception {
            return Files.readString(logFile);
        }

        @Override
        public void close() throws Exception {
            server.stop(Duration.ofSeconds(1));
            log.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Files.deleteIfExists(logFile);
        }
    }

    @BeforeAll
    static void peers() throws Exception {
        Assumptions.assumeTrue(Dnsmasq.available(), "dnsmasq not installed (bin/install-test-peers installs dnsmasq-base)");
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not available");
        dns = Dnsmasq.builder().local("test").local("127.in-addr.arpa")
                .hostRecord("good.test", "127.0.0.1")
                .a("2.0.0.127.zen.test", "127.0.0.2").txt("2.0.0.127.zen.test", "listed for testing")
                .start();
        silent = new StubDnsServer(StubDnsServer.Mode.SILENT);
        sink = new SmtpSink().start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
        if (silent != null) {
            silent.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    private static Edge edge(String dnsServer, String... lines) throws Exception {
        String text = String.join("\n", List.of("myhostname = edge.portcullis.test",
                "mydestination = edge.portcullis.test, ours.example", "mynetworks = 192.0.2.0/24",
                "smtpd_error_sleep_time = 0s", "portcullis_dns_servers = " + dnsServer, "portcullis_dns_timeout = 1s",
                "portcullis_dns_attempts = 2")) + "\n" + String.join("\n", lines) + "\n";
        EdgeSettings settings = EdgeSettingsLoader.from(MainCf.parse(text, "dns.cf").parameters(),
                "127.0.0.1:" + sink.port(), "dns-edge");
        Vertx vertx = Vertx.vertx();
        Path logFile = Files.createTempFile("dns-session", ".maillog");
        MailLog log = new MailLog(logFile, "postfix", "edge.portcullis.test", Clock.systemUTC());
        Queue<SessionEvent> events = new ConcurrentLinkedQueue<>();
        SessionServices services = HandBuiltServices.build(vertx, settings, new ClusterVerdicts(Clock.systemUTC(), 100),
                HandBuiltServices.noBans(), events::add, log, Duration.ofSeconds(10));
        SmtpServer server = new SmtpServer(services, "127.0.0.1", 0);
        server.start(1).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return new Edge(vertx, server, log, logFile, events);
    }

    @Test
    void rblRefusalNamesTheListAndConfirmedNamesReachTheLog() throws Exception {
        try (Edge e = edge(dns.server(), "smtpd_client_restrictions = reject_rbl_client zen.test,"
                + " check_client_access inline:{ { good.test = REJECT known by name } }")) {
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", e.server().port(), "127.0.0.2",
                    Duration.ofSeconds(15))) {
                assertEquals(220, c.readReply().code());
                assertEquals(250, c.command("EHLO client.test").code());
                assertEquals(250, c.command("MAIL FROM:<a@ours.example>").code());
                SmtpTestClient.Reply r = c.command("RCPT TO:<u@ours.example>");
                assertEquals("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; "
                        + "listed for testing", r.text());
                assertEquals(221, c.command("QUIT").code());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> e.maillog().contains("disconnect from unknown[127.0.0.2]"));
            assertTrue(e.maillog().contains("NOQUEUE: reject: RCPT from unknown[127.0.0.2]: 554 5.7.1 Service "
                    + "unavailable; Client host [127.0.0.2] blocked using zen.test; listed for testing; "
                    + "from=<a@ours.example> to=<u@ours.example> proto=ESMTP helo=<client.test> "
                    + "check=<reject_rbl_client zen.test>"), e.maillog());
            assertTrue(e.events().stream().anyMatch(ev -> ev instanceof SessionEvent.Reject rej
                    && rej.check().equals("reject_rbl_client zen.test") && rej.code() == 554), "REJECT event");

            // 127.0.0.1 has a forward-confirmed name: replies and log lines use it
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", e.server().port(), "127.0.0.1",
                    Duration.ofSeconds(15))) {
                assertEquals(220, c.readReply().code());
                // pipelined: the replies come in order although RCPT waits for the DNS
                c.sendRaw("EHLO good.test\r\nMAIL FROM:<a@ours.example>\r\nRCPT TO:<u@ours.example>\r\nNOOP\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertEquals(250, c.readReply().code());
                assertEquals(250, c.readReply().code());
                SmtpTestClient.Reply r = c.readReply();
                assertEquals("554 5.7.1 <good.test[127.0.0.1]>: Client host rejected: known by name",
                        r.text());
                assertEquals(250, c.readReply().code(), "NOOP after the looked-up RCPT");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> e.maillog().contains("disconnect from good.test[127.0.0.1]"));
            assertTrue(e.maillog().contains("NOQUEUE: reject: RCPT from good.test[127.0.0.1]: 554 5.7.1"), e.maillog());
        }
    }

    @Test
    void deadDnsServerDefersWithoutBlockingOtherSessions() throws Exception {
        try (Edge e = edge(silent.server(), "smtpd_sender_restrictions = reject_unknown_sender_domain",
                "smtpd_client_restrictions = reject_rbl_client zen.test")) {
            try (SmtpTestClient waiting = SmtpTestClient.connect("127.0.0.1", e.server().port(), "127.0.0.2",
                    Duration.ofSeconds(20));
                 SmtpTestClient other = SmtpTestClient.connect("127.0.0.1", e.server().port(), "127.0.0.3",
                         Duration.ofSeconds(20))) {
                assertEquals(220, waiting.readReply().code());
                assertEquals(220, other.readReply().code());
                waiting.command("EHLO client.test");
                waiting.command("MAIL FROM:<a@remote.test>");
                long t0 = System.nanoTime();
                waiting.send("RCPT TO:<u@ours.example>"); // waits for the silent DNS server
                SmtpTestClient.TimedReply meanwhile = other.commandTimed("EHLO other.test");
                assertEquals(250, meanwhile.code());
                long waited = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                assertTrue(waited < 1500, "the event loop answered another session while one waited for DNS: "
                        + waited + " ms (load " + load() + ")");
                SmtpTestClient.Reply deferred = waiting.readReply();
                long total = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                // defer_if_permit: the temporary failure of reject_unknown_sender_domain; the
                // DNSBL's failure is the benefit of the doubt
                assertEquals("450 4.1.8 <a@remote.test>: Sender address rejected: Domain not found",
                        deferred.text());
                assertTrue(total >= 1500 && total < 15_000, "two 1 s attempts, then the reply: " + total + " ms");
                assertEquals(250, waiting.command("RSET").code(), "the session goes on");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> e.maillog().contains("RBL lookup error"));
        }
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException ex) {
            return "?";
        }
    }
}
