package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpSink;
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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static dev.portcullis.edge.SmtpProtocolTest.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mail through the edge to a REAL next hop (Postfix's smtp-sink): what arrives, byte for
 * byte, and what must never arrive.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class RelayTest {

    @Inject
    EdgeApplication edge;

    private static String lastMessageContaining(String marker) {
        List<byte[]> dumps = EdgeTestResource.sink().messages();
        for (int i = dumps.size() - 1; i >= 0; i--) {
            String s = new String(dumps.get(i), StandardCharsets.ISO_8859_1);
            if (s.contains(marker)) {
                return s;
            }
        }
        throw new AssertionError("no message with " + marker + " among " + dumps.size());
    }

    private static String awaitMessageContaining(String marker) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return lastMessageContaining(marker);
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                EdgeTestResource.sink().awaitMessages(1, Duration.ofSeconds(1));
            }
        }
    }

    /** A session from {@code from} that has had its envelope accepted and is at DATA's 354. */
    private SmtpTestClient atData(String from) throws Exception {
        SmtpTestClient c = Clients.greeted(edge.smtpPort(), from);
        c.command("EHLO client.example");
        assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
        assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
        assertEquals(354, c.command("DATA").code());
        return c;
    }

    @Test
    void jakartaMailMessageArrivesByteExactWithAReceivedHeader() throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(edge.smtpPort()));
        props.put("mail.smtp.localaddress", "127.0.2.1");
        props.put("mail.smtp.localhost", "angus.client.example");
        Session session = Session.getInstance(props);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("sender@example.org"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress("user@ours.example"));
        m.setSubject("angus-marker-1");
        String body = "first line\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n";
        m.setText(body, "US-ASCII");
        m.saveChanges();
        Transport.send(m);

        String dump = awaitMessageContaining("angus-marker-1");
        String content = new String(SmtpSink.content(dump.getBytes(StandardCharsets.ISO_8859_1)),
                StandardCharsets.ISO_8859_1);
        assertTrue(content.startsWith("Received: from angus.client.example (unknown [127.0.2.1])\n"
                + "\tby edge.portcullis.test (Portcullis) with ESMTP id "), content);
        assertTrue(content.contains("\tfor <user@ours.example>; "), content);
        // smtp-sink stores LF line ends and undoes dot-stuffing: the body is what was sent.
        assertTrue(content.endsWith("\n\n" + body.replace("\r\n", "\n")), content);
    }

    @Test
    void smugglingSequencesNeverEndData() throws Exception {
        String[] variants = {"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"};
        for (int i = 0; i < variants.length; i++) {
            String marker = "smuggle-" + i;
            try (SmtpTestClient c = atData("127.0.2.2")) {
                c.sendRaw(("Subject: " + marker + "\r\n\r\nbefore" + variants[i]
                        + "MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<victim@elsewhere.example>\r\nDATA\r\n"
                        + "smuggled body\r\n.\r\n").getBytes(StandardCharsets.ISO_8859_1));
                SmtpTestClient.Reply r = c.readReply();
                assertEquals(250, r.code(), "variant " + i + ": " + r);
                // The next command is answered as a command: nothing was left half-read.
                assertEquals(250, c.command("NOOP").code(), "variant " + i);
            }
            String dump = awaitMessageContaining(marker);
            assertTrue(dump.contains("MAIL FROM:<smuggled@evil.example>"), "variant " + i + " kept as content");
            assertTrue(dump.contains("smuggled body"), "variant " + i);
        }
    }

    @Test
    void oversizedMessageIsRefusedAndNothingIsForwarded() throws Exception {
        int before = EdgeTestResource.sink().messages().size();
        try (SmtpTestClient c = atData("127.0.2.3")) {
            String line = "y".repeat(998) + "\r\n";
            StringBuilder sb = new StringBuilder("Subject: too-big-marker\r\n\r\n");
            while (sb.length() < 250_000) {
                sb.append(line);
            }
            c.sendRaw(sb.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            assertReply(c.readReply(), 552, "5.3.4 Error: message file too big");
            assertEquals(250, c.command("NOOP").code());
        }
        for (byte[] m : EdgeTestResource.sink().messages()) {
            assertFalse(new String(m, StandardCharsets.ISO_8859_1).contains("too-big-marker"));
        }
        assertTrue(EdgeTestResource.sink().messages().size() >= before);
    }

    @Test
    void oneOverlongHeaderLineKeepsItsLineEndSoTheBodyStaysTheBody() throws Exception {
        try (SmtpTestClient c = atData("127.0.2.5")) {
            c.sendRaw(("Subject: one-long-line-marker " + "A".repeat(20_000) + "\r\n\r\nbody line\r\n.\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, c.readReply().code());
        }
        String dump = awaitMessageContaining("one-long-line-marker");
        assertTrue(dump.contains("A\n\nbody line\n"), "header cut, its line end kept, the body after the blank line");
        assertFalse(dump.contains("A".repeat(5000)), "cut to header_size_limit");
    }

    @Test
    void overlongHeaderIsCutToHeaderSizeLimitAndTheMessageStillGoesThrough() throws Exception {
        try (SmtpTestClient c = atData("127.0.2.4")) {
            StringBuilder sb = new StringBuilder("Subject: long-header-marker\r\nX-Long: start\r\n");
            for (int i = 0; i < 200; i++) {
                sb.append("\tcontinuation ").append(i).append(" ").append("z".repeat(60)).append("\r\n");
            }
            sb.append("\r\nbody survives\r\n.\r\n");
            c.sendRaw(sb.toString().getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, c.readReply().code());
        }
        String dump = awaitMessageContaining("long-header-marker");
        assertTrue(dump.contains("continuation 1 "), "the start of the header is kept");
        assertFalse(dump.contains("continuation 199 "), "the excess beyond header_size_limit is dropped");
        assertTrue(dump.contains("body survives"));
    }
}
