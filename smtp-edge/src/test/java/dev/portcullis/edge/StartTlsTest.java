package dev.portcullis.edge;

import dev.portcullis.edge.smtp.TlsClients;
import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** STARTTLS with the key pair from smtpd_tls_cert_file / smtpd_tls_key_file. */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class StartTlsTest {

    @Inject
    EdgeApplication edge;

    @Test
    void jakartaMailDeliversOverStartTls() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(edge.smtpPort()));
        props.put("mail.smtp.localaddress", "127.0.9.1");
        props.put("mail.smtp.starttls.enable", "true");
        props.put("mail.smtp.starttls.required", "true");
        props.put("mail.smtp.ssl.trust", "*");
        props.put("mail.smtp.ssl.checkserveridentity", "false");
        Session session = Session.getInstance(props);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("sender@example.org"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress("user@ours.example"));
        m.setSubject("starttls-marker");
        m.setText("over TLS\r\n", "US-ASCII");
        Transport.send(m);
        byte[] dump = EdgeTestResource.sink().awaitMessages(1, Duration.ofSeconds(10)).stream()
                .filter(d -> new String(d, StandardCharsets.ISO_8859_1).contains("starttls-marker"))
                .findFirst().orElseThrow(() -> new AssertionError("message not at next hop"));
        assertTrue(new String(dump, StandardCharsets.ISO_8859_1).contains("with ESMTPS id"),
                "Received header says TLS was used");
    }

    @Test
    void commandsPipelinedAfterStartTlsAreDiscardedNotExecuted() throws Exception {
        try (Socket plain = new Socket()) {
            plain.bind(new InetSocketAddress(InetAddress.getByName("127.0.9.2"), 0));
            plain.connect(new InetSocketAddress("127.0.0.1", edge.smtpPort()), 5000);
            plain.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(plain.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = plain.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            while (!(line = in.readLine()).startsWith("250 ")) {
                assertTrue(line.startsWith("250-"), line);
            }
            // The injected MAIL arrives in clear text in the same packet as STARTTLS.
            out.write("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("220 2.0.0 Ready to start TLS", in.readLine());

            try (SmtpTestClient c = TlsClients.upgrade(plain)) {
                assertEquals(250, c.command("EHLO client.example").code());
                // Had the injected MAIL run, this would be accepted.
                SmtpTestClient.Reply r = c.command("RCPT TO:<user@ours.example>");
                assertEquals(503, r.code(), r.toString());
                assertEquals(554, c.command("STARTTLS").code(), "TLS already active");
            }
        }
    }
}
