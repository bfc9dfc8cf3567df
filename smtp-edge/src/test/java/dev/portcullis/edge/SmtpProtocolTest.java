package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 5321 conversation with the edge over a raw socket: what a client sees, byte for byte,
 * including the hostile cases. Expected replies are Postfix's (docs/postfix-oracle.md).
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class SmtpProtocolTest {

    @Inject
    EdgeApplication edge;

    private SmtpTestClient connect(String from) throws Exception {
        return Clients.greeted(edge.smtpPort(), from);
    }

    @Test
    void greetingAndEhloAdvertiseWhatTheEdgeDoes() throws Exception {
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), "127.0.1.1", SmtpTestClient.DEFAULT_TIMEOUT)) {
            SmtpTestClient.Reply banner = c.readReply();
            assertEquals(220, banner.code());
            assertTrue(banner.text().contains("edge.portcullis.test ESMTP"), banner.text());
            SmtpTestClient.Reply ehlo = c.command("EHLO client.example");
            assertEquals(250, ehlo.code());
            List<String> lines = ehlo.lines();
            assertTrue(lines.get(0).endsWith("edge.portcullis.test"), lines.toString());
            for (String ext : List.of("PIPELINING", "SIZE 200000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME")) {
                assertTrue(lines.stream().anyMatch(l -> l.substring(4).equals(ext)), ext + " in " + lines);
            }
            assertTrue(lines.get(lines.size() - 1).startsWith("250 "), "last line has a space");
            assertTrue(lines.subList(0, lines.size() - 1).stream().allMatch(l -> l.startsWith("250-")));
            assertEquals(250, c.command("HELO client.example").code());
            assertEquals(221, c.command("QUIT").code());
        }
    }

    @Test
    void commandsAndSequenceErrorsGetPostfixReplies() throws Exception {
        // At most five errors per session: the sixth would reach smtpd_hard_error_limit.
        try (SmtpTestClient c = connect("127.0.1.2")) {
            assertReply(c.command("BOGUS"), 500, "5.5.2 Error: command not recognized");
            assertReply(c.command("EHLO"), 501, "501 Syntax: EHLO hostname");
            assertReply(c.command("HELO client.example"), 250, "edge.portcullis.test");
            assertReply(c.command("RCPT TO:<a@ours.example>"), 503, "5.5.1 Error: need MAIL command");
            assertReply(c.command("DATA"), 503, "5.5.1 Error: need RCPT command");
        }
        try (SmtpTestClient c = connect("127.0.1.2")) {
            assertReply(c.command("MAIL TO:<a@b>"), 501, "5.5.4 Syntax: MAIL FROM:<address>");
            assertReply(c.command("MAIL FROM:<a@b> BOGUS=1"), 555, "5.5.4 Unsupported option: BOGUS=1");
            assertReply(c.command("NOOP"), 250, "2.0.0 Ok");
            assertReply(c.command("RSET"), 250, "2.0.0 Ok");
            assertReply(c.command("RSET arg"), 501, "5.5.4 Syntax: RSET");
            assertReply(c.command("VRFY someone"), 252, "2.0.0 someone");
            assertReply(c.command("AUTH PLAIN"), 503, "5.5.1 Error: authentication not enabled");
            assertReply(c.command(""), 500, "5.5.2 Error: bad syntax");
        }
        try (SmtpTestClient c = connect("127.0.1.2")) {
            assertReply(c.command("MAIL FROM:<a@b>"), 250, "2.1.0 Ok");
            assertReply(c.command("MAIL FROM:<a@b>"), 503, "5.5.1 Error: nested MAIL command");
            assertReply(c.command("RCPT TO:<x@elsewhere.example>"), 454, "4.7.1 <x@elsewhere.example>: Relay access denied");
            assertReply(c.command("DATA"), 554, "5.5.1 Error: no valid recipients");
            assertReply(c.command("QUIT"), 221, "2.0.0 Bye");
        }
    }

    @Test
    void nonSmtpClientsAreShownTheDoor() throws Exception {
        for (String line : new String[]{"GET / HTTP/1.1", "POST /x HTTP/1.0", "Subject: hello", "123 go"}) {
            try (SmtpTestClient c = connect("127.0.1.10")) {
                assertReply(c.command(line), 221, "2.7.0 Error: I can break rules, too. Goodbye.");
                assertTrue(c.awaitClose(java.time.Duration.ofSeconds(5)), line);
            }
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.3")) {
            c.sendRaw(("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<x@ours.example>\r\n"
                    + "RCPT TO:<y@elsewhere.example>\r\nRSET\r\nNOOP\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, c.readReply().code());
            assertEquals(250, c.readReply().code());
            assertEquals(250, c.readReply().code());
            assertReply(c.readReply(), 454, "4.7.1 <y@elsewhere.example>: Relay access denied");
            assertEquals(250, c.readReply().code());
            assertEquals(250, c.readReply().code());
        }
    }

    @Test
    void overlongLineIsAnsweredAndTheSessionGoesOn() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.4")) {
            c.sendRaw(("NOOP " + "x".repeat(100_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            SmtpTestClient.Reply r = c.readReply();
            assertEquals(500, r.code(), r.text());
            assertEquals(250, c.command("NOOP").code(), "still in sync after the discarded tail");
        }
    }

    @Test
    void nulBytesAndBinaryGarbageGetAReplyNotACrash() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.5")) {
            // Postfix cuts a command at NUL: what is left is "EHLO " without its argument.
            c.sendRaw(new byte[]{'E', 'H', 'L', 'O', ' ', 0, 'x', '\r', '\n'});
            assertReply(c.readReply(), 501, "501 Syntax: EHLO hostname");
            c.sendRaw(new byte[]{'N', 'O', 0, 'O', 'P', '\r', '\n'});
            assertReply(c.readReply(), 500, "5.5.2 Error: command not recognized");
            byte[] garbage = new byte[300];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = (byte) (i * 37 + 11);
                if (garbage[i] == '\n') {
                    garbage[i] = 'z';
                }
            }
            c.sendRaw(garbage);
            c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(c.readReply().code() >= 500);
            assertEquals(250, c.command("NOOP").code());
        }
    }

    @Test
    void bareLfCommandIsAcceptedUnderNormal() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.6")) {
            c.sendRaw("NOOP\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, c.readReply().code());
        }
    }

    @Test
    void sizeDeclaredOverTheLimitIsRefusedAtMail() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.7")) {
            c.command("EHLO client.example");
            assertReply(c.command("MAIL FROM:<a@example.org> SIZE=200001"), 552,
                    "5.3.4 Message size exceeds fixed limit");
            assertReply(c.command("MAIL FROM:<a@example.org> SIZE=abc"), 501, "5.5.4 Bad message size syntax");
        }
    }

    @Test
    void openRelayTricksAreRefusedOverSmtp() throws Exception {
        String[] tricks = {
                "<victim@elsewhere.example>",
                "<victim%elsewhere.example@ours.example>",
                "<@ours.example:victim@elsewhere.example>",
                "<\"victim@elsewhere.example\"@ours.example>",
                "<elsewhere.example!victim@ours.example>",
                "<victim@elsewhere.example@ours.example>",
        };
        // One session per trick: six refusals in one session would reach smtpd_hard_error_limit.
        for (String t : tricks) {
            try (SmtpTestClient c = connect("127.0.1.8")) {
                c.command("EHLO client.example");
                assertEquals(250, c.command("MAIL FROM:<a@example.org>").code());
                SmtpTestClient.Reply r = c.command("RCPT TO:" + t);
                assertEquals(454, r.code(), t + " -> " + r.text());
                assertTrue(r.text().contains("Relay access denied"), r.text());
            }
        }
    }

    @Test
    void recipientLimitGivesPostfixReply() throws Exception {
        try (SmtpTestClient c = connect("127.0.1.9")) {
            c.command("EHLO client.example");
            c.command("MAIL FROM:<a@example.org>");
            for (int i = 0; i < 5; i++) {
                assertEquals(250, c.command("RCPT TO:<u" + i + "@ours.example>").code());
            }
            assertReply(c.command("RCPT TO:<u5@ours.example>"), 452, "4.5.3 Error: too many recipients");
        }
    }

    static void assertReply(SmtpTestClient.Reply r, int code, String text) {
        assertEquals(code, r.code(), r.lines().toString());
        assertTrue(r.text().endsWith(text), "expected \"" + text + "\" in " + r.lines());
    }
}
