package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SmtpSinkTest {

    @BeforeAll
    static void requireSmtpSink() {
        assumeTrue(SmtpSink.available(), "smtp-sink not installed");
    }

    @Test
    void dumpsEachMessage() throws Exception {
        try (SmtpSink sink = new SmtpSink().start()) {
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", sink.port())) {
                assertEquals("220 smtp-sink ESMTP", c.readReply().lastLine());
                assertEquals(250, c.command("EHLO client.example").code());
                assertEquals(250, c.command("MAIL FROM:<a@b.example>").code());
                assertEquals(250, c.command("RCPT TO:<c@d.example>").code());
                assertEquals(354, c.command("DATA").code());
                c.sendRaw("Subject: t\r\n\r\nhello\r\n..dot\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(250, c.readReply().code());
                c.command("QUIT");
            }
            List<byte[]> messages = sink.awaitMessages(1, Duration.ofSeconds(10));
            assertEquals(1, messages.size());
            String dump = new String(messages.get(0), StandardCharsets.US_ASCII);
            assertTrue(dump.startsWith("X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\n"
                    + "X-Helo-Args: client.example\nX-Mail-Args: <a@b.example>\nX-Rcpt-Args: <c@d.example>\n"
                    + "Received: from client.example ([127.0.0.1])\n"), dump);
            // LF line endings, dot-stuffing removed, smtp-sink headers and trailing empty line stripped
            assertEquals("Subject: t\n\nhello\n.dot\n",
                    new String(SmtpSink.content(messages.get(0)), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void rejectingMode() throws Exception {
        try (SmtpSink sink = SmtpSink.rejecting("RCPT").start()) {
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", sink.port())) {
                c.readReply();
                c.command("EHLO client.example");
                c.command("MAIL FROM:<a@b.example>");
                assertEquals("500 5.3.0 Error: command failed", c.command("RCPT TO:<c@d.example>").lastLine());
                // the open transaction's dump file is removed before the RSET reply
                assertEquals(250, c.command("RSET").code());
                assertTrue(sink.messages().isEmpty());
            }
            assertTrue(sink.isAlive());
        }
        try (SmtpSink sink = SmtpSink.rejectingWith("554 5.7.1 No thanks", "MAIL").start();
             SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", sink.port())) {
            c.readReply();
            assertEquals("554 5.7.1 No thanks", c.command("MAIL FROM:<a@b.example>").lastLine());
        }
        try (SmtpSink sink = SmtpSink.closingWith421After("MAIL").start();
             SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", sink.port())) {
            c.readReply();
            assertEquals("421 4.0.0 Server closing connection", c.command("MAIL FROM:<a@b.example>").lastLine());
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
        }
        try (SmtpSink sink = SmtpSink.disconnectingAfter("MAIL").start();
             SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", sink.port())) {
            c.readReply();
            c.send("MAIL FROM:<a@b.example>");
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
            assertFalse(sink.log().contains("fatal"));
        }
    }
}
