package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.Dnsmasq;
import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The DNS restrictions side by side with a REAL Postfix 3.7: one dnsmasq serves the test
 * zones, a DNSBL and an RHSBL on port 53 of 127.0.53.1; Postfix resolves through it with a
 * private /etc/resolv.conf ({@link RealPostfix#withResolvConf}: a mount namespace, the host's
 * network), the edge through {@code portcullis_dns_servers}. The same scripted sessions, from
 * client addresses with a confirmed name, a forged one and none, go to both; the replies must
 * be the same.
 */
class DnsSideBySideTest {

    private static final String DNS_ADDRESS = "127.0.53.1";
    private static Dnsmasq dns;
    private static SmtpSink sink;
    private static Path dir;
    private static final List<AutoCloseable> open = new ArrayList<>();

    private record Pair(RealPostfix postfix, HandBuiltEdge edge) {
    }

    @BeforeAll
    static void peers() throws Exception {
        Assumptions.assumeTrue(Dnsmasq.available(), "dnsmasq not installed (bin/install-test-peers installs dnsmasq-base)");
        Assumptions.assumeTrue(RealPostfix.available(), "real Postfix not available (needs the postfix package and root)");
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not available");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "util-linux unshare not available");
        dns = Dnsmasq.builder().listen(DNS_ADDRESS, 53).local("test").local("127.in-addr.arpa")
                .hostRecord("good31.test", "127.0.31.1")
                .ptr("127.0.31.2", "forged31.test").a("forged31.test", "127.0.0.99")
                .a("good.test", "127.0.0.50").a("bad.test", "127.0.0.51")
                .mx("mail.test", "mx.good.test", 10)
                .nullMx("nullmx.test")
                .a("2.31.0.127.zen.test", "127.0.0.2").txt("2.31.0.127.zen.test", "listed for testing")
                .a("4.31.0.127.zen.test", "127.0.0.10")
                .a("bad.test.dbl.test", "127.0.1.2").txt("bad.test.dbl.test", "spammy domain")
                .start();
        sink = new SmtpSink().start();
        dir = Files.createTempDirectory("dns-oracle");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver " + DNS_ADDRESS + "\noptions timeout:2 attempts:2\n");
        Files.setPosixFilePermissions(resolv, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        if (sink != null) {
            sink.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("resolv.conf"));
            Files.deleteIfExists(dir);
        }
    }

    private static Map<String, String> common() {
        Map<String, String> cf = SideBySide.mainCf("good.test, bad.test, mail.test, nullmx.test, nope.test");
        cf.put("smtpd_peername_lookup", "yes");
        return cf;
    }

    private static Pair pair(Map<String, String> cf) throws Exception {
        RealPostfix postfix = new RealPostfix(cf).withResolvConf(dir.resolve("resolv.conf")).start();
        open.add(postfix);
        Map<String, String> edgeCf = new LinkedHashMap<>(cf);
        edgeCf.put("portcullis_dns_servers", dns.server());
        Path logFile = Files.createTempFile("dns-side", ".maillog");
        HandBuiltEdge edge = new HandBuiltEdge(edgeCf, "127.0.0.1:" + sink.port(), logFile);
        open.add(() -> {
            edge.close();
            Files.deleteIfExists(logFile);
        });
        return new Pair(postfix, edge);
    }

    private static List<String> run(int port, String from, List<String> script) throws IOException {
        List<String> seen = new ArrayList<>();
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, from, Duration.ofSeconds(30))) {
            seen.add(SideBySide.render(c.readReply()));
            for (String step : script) {
                c.send(step);
                seen.add(step + " -> " + SideBySide.render(c.readReply()));
            }
        } catch (EOFException | SocketException e) {
            seen.add("<closed>");
        }
        return seen;
    }

    private static void compare(Pair p, String from, String... script) throws IOException {
        List<String> expected = run(p.postfix().port(), from, List.of(script));
        List<String> actual = run(p.edge().port(), from, List.of(script));
        assertEquals(String.join("\n", expected), String.join("\n", actual), "session from " + from);
    }

    private static String[] session(String helo, String sender, String recipient) {
        return new String[] {"EHLO " + helo, "MAIL FROM:<" + sender + ">", "RCPT TO:<" + recipient + ">", "QUIT"};
    }

    @Test
    void dnsblRhsblAndUnknownDomains() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_client_restrictions", "reject_rbl_client zen.test, reject_unknown_reverse_client_hostname");
        cf.put("smtpd_helo_restrictions", "reject_unknown_helo_hostname, reject_rhsbl_helo dbl.test");
        cf.put("smtpd_sender_restrictions", "reject_unknown_sender_domain, reject_rhsbl_sender dbl.test");
        cf.put("smtpd_recipient_restrictions", "reject_unknown_recipient_domain, reject_unauth_destination");
        Pair p = pair(cf);
        compare(p, "127.0.31.1", session("good.test", "a@good.test", "u@mail.test"));     // all good
        compare(p, "127.0.31.2", session("good.test", "a@good.test", "u@mail.test"));     // DNSBL with TXT
        compare(p, "127.0.31.4", session("good.test", "a@good.test", "u@mail.test"));     // DNSBL, no TXT
        compare(p, "127.0.31.3", session("good.test", "a@good.test", "u@mail.test"));     // no PTR
        compare(p, "127.0.31.1", session("nope.test", "a@good.test", "u@mail.test"));     // HELO not found
        compare(p, "127.0.31.1", session("mail.test", "a@good.test", "u@mail.test"));     // HELO with MX only
        compare(p, "127.0.31.1", session("bad.test", "a@good.test", "u@mail.test"));      // RHSBL helo
        compare(p, "127.0.31.1", session("good.test", "a@nope.test", "u@mail.test"));     // sender not found
        compare(p, "127.0.31.1", session("good.test", "a@nullmx.test", "u@mail.test"));   // sender null MX
        compare(p, "127.0.31.1", session("good.test", "a@bad.test", "u@mail.test"));      // RHSBL sender
        compare(p, "127.0.31.1", session("good.test", "a@good.test", "u@nope.test"));     // recipient not found
        compare(p, "127.0.31.1", session("good.test", "a@good.test", "u@nullmx.test"));   // recipient null MX
        compare(p, "127.0.31.1", session("good.test", "", "u@mail.test"));                // null sender
    }

    @Test
    void clientNames() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_client_restrictions", "check_client_access inline:{ { good31.test = REJECT by name } }, "
                + "reject_unknown_client_hostname");
        cf.put("unknown_client_reject_code", "550");
        Pair p = pair(cf);
        compare(p, "127.0.31.1", session("good.test", "a@good.test", "u@mail.test"));     // confirmed: by name
        compare(p, "127.0.31.2", session("good.test", "a@good.test", "u@mail.test"));     // forged
        compare(p, "127.0.31.3", session("good.test", "a@good.test", "u@mail.test"));     // no PTR
    }
}
