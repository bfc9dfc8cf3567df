package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.testkit.SmtpTestClient.Reply;
import dev.portcullis.testkit.SmtpTestClient.TimedReply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RealPostfixTest {

    private static final String HOST = "127.0.0.1";

    @BeforeAll
    static void requirePostfix() {
        assumeTrue(RealPostfix.available(), "Postfix not installed or not running as root");
    }

    @Test
    void bannerEhloAndDisconnectLog() throws Exception {
        try (RealPostfix postfix = new RealPostfix()) {
            postfix.start();
            try (SmtpTestClient c = SmtpTestClient.connect(HOST, postfix.port())) {
                Reply banner = c.readReply();
                assertEquals(List.of("220 oracle.example ESMTP Postfix"), banner.lines());
                Reply ehlo = c.command("EHLO client.example");
                assertEquals(List.of("250-oracle.example", "250-PIPELINING", "250-SIZE 10240000", "250-VRFY",
                        "250-ETRN", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8",
                        "250 CHUNKING"), ehlo.lines());
                assertEquals("250-oracle.example\r\n", new String(c.lastReplyBytes(), StandardCharsets.US_ASCII)
                        .substring(0, 20));
                assertEquals("500 5.5.2 Error: command not recognized", c.command("FOO").lastLine());
                assertEquals("221 2.0.0 Bye", c.command("QUIT").lastLine());
                assertTrue(c.awaitClose(Duration.ofSeconds(5)));
            }
            postfix.awaitMaillog(l -> l.endsWith(
                    "disconnect from unknown[127.0.0.1] ehlo=1 quit=1 unknown=0/1 commands=2/3"),
                    Duration.ofSeconds(10));
        }
    }

    @Test
    void overridesTarpitAndHardLimit() throws Exception {
        // defaults: smtpd_error_sleep_time=1s, soft limit 3; override the hard limit to 4
        try (RealPostfix postfix = RealPostfix.started(Map.of("smtpd_hard_error_limit", "4",
                "myhostname", "mx.test.example"))) {
            assertEquals("4", postfix.postconf("smtpd_hard_error_limit"));
            try (SmtpTestClient c = SmtpTestClient.connect(HOST, postfix.port())) {
                assertEquals("220 mx.test.example ESMTP Postfix", c.readReply().lastLine());
                for (int i = 1; i <= 3; i++) {
                    TimedReply r = c.commandTimed("BOGUS" + i);
                    assertEquals(500, r.code());
                    assertTrue(r.millis() < 800, "reply " + i + " not delayed: " + r.millis());
                }
                TimedReply fourth = c.commandTimed("BOGUS4");
                assertEquals(500, fourth.code());
                assertTrue(fourth.millis() >= 900, "4th error reply is tarpitted: " + fourth.millis());
                // the hard limit is checked before reading the next command: no client input needed
                TimedReply bye = c.readReplyTimed();
                assertEquals("421 4.7.0 mx.test.example Error: too many errors", bye.reply().lastLine());
                assertTrue(bye.millis() >= 900, "the 421 itself is tarpitted too: " + bye.millis());
                assertTrue(c.awaitClose(Duration.ofSeconds(5)));
            }
            postfix.awaitMaillog(l -> l.contains("too many errors after UNKNOWN from unknown[127.0.0.1]"),
                    Duration.ofSeconds(10));
        }
    }

    @Test
    void twoInstancesSideBySideRelayingToSmtpSink() throws Exception {
        assumeTrue(SmtpSink.available());
        Path dirA;
        try (SmtpSink sink = new SmtpSink().start();
             RealPostfix a = RealPostfix.started(Map.of("relay_transport", "smtp:[127.0.0.1]:" + sink.port()));
             RealPostfix b = RealPostfix.started(Map.of())) {
            dirA = a.directory();
            assertNotEquals(a.port(), b.port());
            try (SmtpTestClient cb = SmtpTestClient.connect(HOST, b.port());
                 SmtpTestClient c = SmtpTestClient.connect(HOST, a.port())) {
                assertEquals(220, cb.readReply().code());
                assertEquals(220, c.readReply().code());
                assertEquals(250, c.command("EHLO client.example").code());
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<sender@b.example>").lastLine());
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<rcpt@relay.example>").lastLine());
                assertEquals("454 4.7.1 <x@other.example>: Relay access denied",
                        c.command("RCPT TO:<x@other.example>").lastLine());
                assertEquals("354 End data with <CR><LF>.<CR><LF>", c.command("DATA").lastLine());
                c.sendRaw("Subject: hi\r\n\r\nhello world\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                Reply queued = c.readReply();
                assertTrue(queued.lastLine().matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]+"), queued.toString());
                assertEquals(221, c.command("QUIT").code());
                assertEquals(221, cb.command("QUIT").code());
            }
            byte[] dump = sink.awaitMessages(1, Duration.ofSeconds(30)).get(0);
            String content = new String(SmtpSink.content(dump), StandardCharsets.UTF_8);
            assertTrue(content.startsWith("Received: from client.example (unknown [127.0.0.1])\n"
                    + "\tby oracle.example (Postfix) with ESMTP id "), content);
            assertTrue(content.contains("\tfor <rcpt@relay.example>; "), content);
            assertTrue(content.contains("Subject: hi\n"), content);
            assertTrue(content.endsWith("\n\nhello world\n"), content);
        }
        assertFalse(Files.exists(dirA), "instance directory removed on close");
    }
}
