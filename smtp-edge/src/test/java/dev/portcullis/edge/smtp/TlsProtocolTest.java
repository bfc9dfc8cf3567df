package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtpd_tls_security_level, the protocol lists and the cipher exclusions with real TLS
 * clients: JSSE, and OpenSSL's {@code s_client -starttls smtp} where it is installed.
 */
class TlsProtocolTest {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");

    private TestEdge edge;

    private TestEdge start(String... tls) throws Exception {
        List<String> cf = new ArrayList<>(List.of(
                "smtpd_tls_cert_file = " + TlsSideBySideTest.resource("/tls/cert.pem"),
                "smtpd_tls_key_file = " + TlsSideBySideTest.resource("/tls/key.pem")));
        cf.addAll(List.of(tls));
        edge = new TestEdge(FreePort.find(), cf.toArray(String[]::new));
        return edge;
    }

    @AfterEach
    void stop() throws Exception {
        if (edge != null) {
            edge.close();
        }
    }

    /** Connects, EHLO, STARTTLS; returns the EHLO reply's keywords, or upgrades. */
    private SmtpTestClient plain() throws IOException {
        SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.port(), "127.0.0.1", Duration.ofSeconds(10));
        assertEquals(220, c.readReply().code());
        return c;
    }

    private SSLSocket handshake(String... protocols) throws IOException {
        SmtpTestClient c = plain();
        assertEquals(250, c.command("EHLO client.example").code());
        assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS").lastLine());
        return (SSLSocket) TlsClients.upgrade(c.socket(), protocols).socket();
    }

    @Test
    void levelNoneOffersNoStartTlsEvenWithACertificate() throws Exception {
        start("smtpd_tls_security_level = none");
        try (SmtpTestClient c = plain()) {
            SmtpTestClient.Reply ehlo = c.command("EHLO client.example");
            assertFalse(ehlo.lines().stream().anyMatch(l -> l.endsWith("STARTTLS")), ehlo.toString());
            assertEquals("502 5.5.1 Error: command not implemented", c.command("STARTTLS").lastLine());
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
        }
    }

    @Test
    void emptyLevelFollowsSmtpdUseTls() throws Exception {
        start("smtpd_use_tls = yes");
        try (SmtpTestClient c = plain()) {
            assertTrue(c.command("EHLO client.example").lines().stream().anyMatch(l -> l.endsWith("STARTTLS")));
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code(), "may: mail without TLS is fine");
        }
    }

    @Test
    void smtpdTlsProtocolsRefusesOlderVersions() throws Exception {
        start("smtpd_tls_security_level = may", "smtpd_tls_protocols = >=TLSv1.3");
        try (SSLSocket s = handshake("TLSv1.3")) {
            assertEquals("TLSv1.3", s.getSession().getProtocol());
        }
        assertThrows(IOException.class, () -> handshake("TLSv1.2").close(), "TLSv1.2 refused");
        edge.awaitLog(l -> l.contains("SSL_accept error from unknown[127.0.0.1]"));
    }

    @Test
    void exclusionListRefusesTls13AndAesGcm() throws Exception {
        start("smtpd_tls_security_level = may", "smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3",
                "smtpd_tls_exclude_ciphers = AESGCM, CHACHA20");
        try (SSLSocket s = handshake()) {
            assertEquals("TLSv1.2", s.getSession().getProtocol());
            String suite = s.getSession().getCipherSuite();
            assertFalse(suite.contains("GCM") || suite.contains("CHACHA20"), suite);
        }
        assertThrows(SSLHandshakeException.class, () -> handshake("TLSv1.3").close(), "TLSv1.3 excluded");
    }

    @Test
    void encryptUsesTheMandatoryProtocols() throws Exception {
        start("smtpd_tls_security_level = encrypt", "smtpd_tls_protocols = >=TLSv1.3",
                "smtpd_tls_mandatory_protocols = TLSv1.2");
        try (SSLSocket s = handshake("TLSv1.2", "TLSv1.3")) {
            assertEquals("TLSv1.2", s.getSession().getProtocol(), "mandatory list, not smtpd_tls_protocols");
            SmtpTestClient c = SmtpTestClient.over(s);
            SmtpTestClient.Reply ehlo = c.command("EHLO client.example");
            assertFalse(ehlo.lines().stream().anyMatch(l -> l.endsWith("STARTTLS")), "not offered twice");
            assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
        }
    }

    // ------------------------------------------------------------------ openssl s_client

    private record Run(int exit, String output) {
    }

    private Run sClient(String... protocolFlags) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(OPENSSL), "openssl not installed");
        List<String> cmd = new ArrayList<>(List.of(OPENSSL.toString(), "s_client", "-starttls", "smtp",
                "-connect", "127.0.0.1:" + edge.port(), "-brief", "-ign_eof"));
        cmd.addAll(List.of(protocolFlags));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "openssl s_client ended");
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void opensslSClientNegotiatesWhatIsAllowedAndIsRefusedTheRest() throws Exception {
        start("smtpd_tls_security_level = may", "smtpd_tls_protocols = TLSv1.2",
                "smtpd_tls_exclude_ciphers = kRSA, SHA1, SHA256, SHA384, CHACHA20");
        Run ok = sClient("-tls1_2");
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("Protocol version: TLSv1.2"), ok.output());
        assertTrue(ok.output().contains("Ciphersuite: ECDHE-RSA-AES"), ok.output());
        assertTrue(ok.output().contains("GCM"), "only AEAD suites are left: " + ok.output());
        assertTrue(ok.output().contains("221 2.0.0 Bye"), ok.output());
        Run refused = sClient("-tls1_3");
        assertTrue(refused.exit() != 0, refused.output());
        assertFalse(refused.output().contains("Protocol version: TLSv1.3"), refused.output());
        Run cbcOnly = sClient("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA");
        assertTrue(cbcOnly.exit() != 0, "an excluded suite is refused: " + cbcOnly.output());
    }
}
