package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postfix's error tarpit on the edge, timed for real (test main.cf: sleep 1s, soft 3, hard 6,
 * junk 5): replies before the soft limit are immediate, every reply after it waits, and the
 * session is cut at the hard limit. PostfixSideBySideTest runs the same sessions against a
 * real Postfix.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class TarpitTest {

    /** Well under the 1 s sleep, well over loopback latency on a busy 2-core machine. */
    static final long FAST_MS = 600;
    static final long SLOW_MS = 950;

    @Inject
    EdgeApplication edge;

    private SmtpTestClient connect(String from) throws Exception {
        return Clients.greeted(edge.smtpPort(), from);
    }

    @Test
    void repliesAreDelayedFromTheSoftLimitAndTheHardLimitDisconnects() throws Exception {
        try (SmtpTestClient c = connect("127.0.4.1")) {
            for (int i = 1; i <= 6; i++) {
                SmtpTestClient.TimedReply r = c.commandTimed("BOGUS" + i);
                assertEquals(500, r.code(), "reply " + i);
                if (i <= 3) {
                    assertTrue(r.millis() < FAST_MS, "reply " + i + " immediate, took " + r.millis());
                } else {
                    assertTrue(r.millis() >= SLOW_MS, "reply " + i + " tarpitted, took " + r.millis());
                }
            }
            // After the 6th error the edge does not wait for another command.
            SmtpTestClient.TimedReply bye = c.readReplyTimed();
            assertEquals(421, bye.code());
            assertTrue(bye.reply().lastLine().endsWith("4.7.0 edge.portcullis.test Error: too many errors"),
                    bye.reply().toString());
            assertTrue(c.awaitClose(Duration.ofSeconds(5)), "connection closed after 421");
        }
    }

    @Test
    void goodRepliesAreDelayedTooOnceTheSoftLimitIsReached() throws Exception {
        try (SmtpTestClient c = connect("127.0.4.2")) {
            for (int i = 0; i < 3; i++) {
                assertEquals(500, c.command("BOGUS").code());
            }
            SmtpTestClient.TimedReply noop = c.commandTimed("NOOP");
            assertEquals(250, noop.code());
            assertTrue(noop.millis() >= SLOW_MS, "a 250 waits too, took " + noop.millis());
        }
    }

    @Test
    void aDeliveredMessageResetsTheErrorCount() throws Exception {
        try (SmtpTestClient c = connect("127.0.4.3")) {
            c.command("EHLO client.example");
            assertEquals(500, c.command("BOGUS").code());
            assertEquals(500, c.command("BOGUS").code());
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<user@ours.example>");
            c.command("DATA");
            c.sendRaw("Subject: reset\r\n\r\nhello\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(250, c.readReply().code());
            for (int i = 0; i < 3; i++) {
                SmtpTestClient.TimedReply r = c.commandTimed("BOGUS");
                assertTrue(r.millis() < FAST_MS, "count was reset; error " + (i + 1) + " took " + r.millis());
            }
            assertTrue(c.commandTimed("NOOP").millis() >= SLOW_MS, "and counts again from zero");
        }
    }

    @Test
    void junkCommandsPastTheLimitCountAsErrors() throws Exception {
        try (SmtpTestClient c = connect("127.0.4.4")) {
            // junk limit 5: NOOPs 1..6 are free, 7..9 each count one error after their reply
            // (as smtpd does), so the 10th reply is the first to see 3 errors and wait.
            for (int i = 1; i <= 9; i++) {
                SmtpTestClient.TimedReply r = c.commandTimed("NOOP");
                assertEquals(250, r.code());
                assertTrue(r.millis() < FAST_MS, "NOOP " + i + " took " + r.millis());
            }
            assertTrue(c.commandTimed("NOOP").millis() >= SLOW_MS, "10th NOOP tarpitted");
        }
    }

    @Test
    void pipelinedErrorsAreTarpittedOneReplyAtATime() throws Exception {
        try (SmtpTestClient c = connect("127.0.4.5")) {
            long start = System.nanoTime();
            c.sendRaw("A\r\nB\r\nC\r\nD\r\nE\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 5; i++) {
                assertEquals(500, c.readReply().code());
            }
            long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(ms >= 2 * SLOW_MS, "replies 4 and 5 each waited, total " + ms);
        }
    }
}
