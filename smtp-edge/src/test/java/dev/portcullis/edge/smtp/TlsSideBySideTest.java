package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * STARTTLS side by side with a REAL Postfix 3.7: the same smtpd_tls_security_level =
 * encrypt settings in both, the same scripted sessions, and every reply line compared
 * (EHLO by its keywords): which commands are refused before TLS and with what, that the
 * refusal counts as an error, and the replies of smtpd_client_new_tls_session_rate_limit.
 */
class TlsSideBySideTest {

    private static final String[] COMMANDS_BEFORE_TLS = {
            "MAIL FROM:<a@example.org>", "RCPT TO:<u@oracle.example>", "DATA", "RSET", "VRFY u@oracle.example",
            "ETRN oracle.example", "AUTH PLAIN AGFhAGI=", "NOOP", "HELO client.example", "BOGUS", "EHLO client.example"};

    static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(TlsSideBySideTest.class.getResource(name), name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("myhostname", "oracle.example");
        m.put("mydestination", "oracle.example");
        m.put("smtpd_tls_security_level", "encrypt");
        m.put("smtpd_tls_cert_file", resource("/tls/cert.pem").toString());
        m.put("smtpd_tls_key_file", resource("/tls/key.pem").toString());
        m.put("smtpd_error_sleep_time", "0s");
        m.put("smtpd_soft_error_limit", "10");
        m.put("smtpd_hard_error_limit", "20");
        m.putAll(extra);
        return m;
    }

    private interface Script {
        List<String> run(int port) throws IOException;
    }

    /** Runs {@code script} against a real Postfix and an edge with the same settings; returns both transcripts. */
    private static List<List<String>> sideBySide(Map<String, String> extra, Script script) throws Exception {
        Assumptions.assumeTrue(RealPostfix.available(), "real Postfix not available (needs the postfix package and root)");
        Map<String, String> s = settings(extra);
        List<String> lines = new ArrayList<>();
        s.forEach((k, v) -> lines.add(k + " = " + v));
        List<String> postfix;
        try (RealPostfix p = new RealPostfix(s).withMasterCfLine("tlsmgr unix - - n 1000? 1 tlsmgr").start()) {
            postfix = script.run(p.port());
        }
        List<String> edge;
        try (TestEdge e = new TestEdge(FreePort.find(), lines.toArray(String[]::new))) {
            edge = script.run(e.port());
        }
        return List.of(postfix, edge);
    }

    private static String show(SmtpTestClient.Reply r) {
        if (r.isMultiline()) {
            // EHLO: the keywords, not the host name line
            return r.code() + " " + String.join(",", r.lines().subList(1, r.lines().size()).stream()
                    .map(l -> l.substring(4)).filter(k -> !k.startsWith("SIZE") && !k.equals("ETRN")
                            && !k.equals("DSN") && !k.equals("SMTPUTF8") && !k.equals("CHUNKING")).toList());
        }
        return r.lastLine();
    }

    @Test
    void commandsBeforeStartTlsAndAfterItAsPostfixAnswersThem() throws Exception {
        List<List<String>> both = sideBySide(Map.of(), port -> {
            List<String> t = new ArrayList<>();
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, "127.0.0.1", Duration.ofSeconds(10))) {
                t.add(c.readReply().lastLine().substring(0, 4));
                for (String cmd : COMMANDS_BEFORE_TLS) {
                    t.add(cmd + " -> " + show(c.command(cmd)));
                }
                t.add("STARTTLS -> " + show(c.command("STARTTLS")));
                SmtpTestClient s = TlsClients.upgrade(c.socket());
                t.add("EHLO -> " + show(s.command("EHLO client.example")));
                t.add("MAIL -> " + show(s.command("MAIL FROM:<a@example.org>")));
                t.add("STARTTLS -> " + show(s.command("STARTTLS")));
                t.add("QUIT -> " + show(s.command("QUIT")));
            }
            return t;
        });
        assertEquals(both.get(0), both.get(1), "Postfix (expected) vs edge");
        assertTrue(both.get(1).contains("MAIL FROM:<a@example.org> -> 530 5.7.0 Must issue a STARTTLS command first"),
                both.get(1).toString());
    }

    @Test
    void theRefusalBeforeTlsCountsAsAnError() throws Exception {
        List<List<String>> both = sideBySide(Map.of("smtpd_hard_error_limit", "3"), port -> {
            List<String> t = new ArrayList<>();
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, "127.0.0.1", Duration.ofSeconds(10))) {
                c.readReply();
                c.command("EHLO client.example");
                for (int i = 0; i < 3; i++) {
                    t.add(show(c.command("MAIL FROM:<a@example.org>")));
                }
            }
            return t;
        });
        assertEquals(both.get(0), both.get(1), "Postfix (expected) vs edge");
    }

    @Test
    void newTlsSessionRateLimitAsPostfixCountsAndAnswersIt() throws Exception {
        List<List<String>> both = sideBySide(Map.of("smtpd_client_new_tls_session_rate_limit", "2",
                "smtpd_client_event_limit_exceptions", "", "mynetworks", "192.0.2.0/24"), port -> {
            List<String> t = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, "127.0.0.1", Duration.ofSeconds(10))) {
                    c.readReply();
                    c.command("EHLO client.example");
                    SmtpTestClient.Reply r = c.command("STARTTLS");
                    t.add(i + ": " + show(r));
                    if (r.code() == 220) {
                        SmtpTestClient s = TlsClients.upgrade(c.socket());
                        // Wait for a reply the server may send unasked (the 421 after the handshake)
                        // before writing: a write into a closing socket would reset it first.
                        s.timeout(Duration.ofSeconds(3));
                        try {
                            t.add(i + ": " + show(s.readReply()));
                        } catch (java.net.SocketTimeoutException quiet) {
                            s.timeout(Duration.ofSeconds(10));
                            t.add(i + ": " + show(s.command("QUIT")));
                        }
                    } else {
                        try {
                            t.add(i + ": " + show(c.command("NOOP")));
                        } catch (IOException closed) {
                            t.add(i + ": closed");
                        }
                    }
                }
            }
            return t;
        });
        assertEquals(both.get(0), both.get(1), "Postfix (expected) vs edge");
    }
}
