package dev.portcullis.edge;

import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.portcullis.edge.SmtpProtocolTest.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Before-queue proxy failures: the client gets the next hop's refusal, or a 4xx when the
 * next hop is down, slow or gone mid-message - never a 250 the next hop did not give.
 */
@QuarkusTest
@WithTestResource(FixedNextHopResource.class)
class NextHopFailureTest {

    @Inject
    EdgeApplication edge;

    private SmtpSink sink;

    @AfterEach
    void stopSink() {
        if (sink != null) {
            sink.close();
            sink = null;
        }
    }

    private void nextHop(SmtpSink s) {
        sink = s.start(FixedNextHopResource.port());
    }

    private SmtpTestClient transaction(String from) throws Exception {
        SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), from, Duration.ofSeconds(15));
        assertEquals(220, c.readReply().code());
        assertEquals(250, c.command("EHLO client.example").code());
        assertEquals(250, c.command("MAIL FROM:<a@example.org>").code(), "MAIL is answered by the edge itself");
        return c;
    }

    private static byte[] message(String marker) {
        return ("Subject: " + marker + "\r\n\r\nbody\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void withoutAnyKafkaBrokerTheEdgeStartedAndDeliversMail() throws Exception {
        nextHop(new SmtpSink());
        try (SmtpTestClient c = transaction("127.0.7.6")) {
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(message("no-broker-marker"));
            assertEquals(250, c.readReply().code());
        }
        assertTrue(new String(sink.awaitMessages(1, Duration.ofSeconds(10)).get(0), StandardCharsets.ISO_8859_1)
                .contains("no-broker-marker"));
    }

    @Test
    void nextHopDownGivesQueueFileWriteErrorAtRcpt() throws Exception {
        try (SmtpTestClient c = transaction("127.0.7.1")) {
            assertReply(c.command("RCPT TO:<user@ours.example>"), 451, "4.3.0 Error: queue file write error");
            assertReply(c.command("DATA"), 554, "5.5.1 Error: no valid recipients");
            assertEquals(250, c.command("RSET").code());
        }
    }

    @Test
    void nextHopLostAfterAnAcceptedRecipientGivesA4xxAtDataNotABounce() throws Exception {
        nextHop(SmtpSink.disconnectingAfter("RCPT"));
        try (SmtpTestClient c = transaction("127.0.7.7")) {
            // smtp-sink answers the first RCPT, then hangs up without a word at the second.
            SmtpTestClient.Reply first = c.command("RCPT TO:<one@ours.example>");
            if (first.code() == 250) {
                assertReply(c.command("RCPT TO:<two@ours.example>"), 451, "4.3.0 Error: queue file write error");
            } else {
                assertEquals(451, first.code(), first.toString());
            }
            SmtpTestClient.Reply data = c.command("DATA");
            assertTrue(data.code() == 451 || data.code() == 554, "a temporary failure or no recipients, never a "
                    + "permanent 'need RCPT' for an accepted recipient: " + data);
            if (first.code() == 250) {
                assertReply(data, 451, "4.3.0 Error: queue file write error");
            }
        }
    }

    @Test
    void theVerdictOnALargeMessageComesBeforeAnyPipelinedReply() throws Exception {
        // The next hop reads slowly (-H) and defers the message at the dot.
        nextHop(SmtpSink.withArgs("-H", "1", "-r", "."));
        try (SmtpTestClient c = transaction("127.0.7.8")) {
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
            String line = "z".repeat(990) + "\r\n";
            while (big.length() < 180_000) {
                big.append(line);
            }
            c.sendRaw(big.append(".\r\nNOOP\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            SmtpTestClient.Reply verdict = c.readReply();
            assertEquals(450, verdict.code(), "the next hop's deferral, not a 250 for the NOOP: " + verdict);
            assertEquals(250, c.readReply().code(), "then the NOOP");
        }
    }

    @Test
    void nextHopRefusalOfARecipientIsPassedThrough() throws Exception {
        nextHop(SmtpSink.rejectingWith("550 5.1.1 No such user here", "RCPT"));
        try (SmtpTestClient c = transaction("127.0.7.2")) {
            assertReply(c.command("RCPT TO:<nobody@ours.example>"), 550, "5.1.1 No such user here");
        }
    }

    @Test
    void nextHopDeferralAtEndOfDataIsPassedThroughNotTurnedInto250() throws Exception {
        nextHop(SmtpSink.deferring("."));
        try (SmtpTestClient c = transaction("127.0.7.3")) {
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(message("deferred"));
            SmtpTestClient.Reply r = c.readReply();
            assertEquals(450, r.code(), r.toString());
        }
    }

    @Test
    void nextHopThatHangsUpAfterTheDotGivesA4xx() throws Exception {
        nextHop(SmtpSink.disconnectingAfter("."));
        try (SmtpTestClient c = transaction("127.0.7.4")) {
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(message("hangup"));
            assertReply(c.readReply(), 451, "4.3.0 Error: queue file write error");
            assertEquals(250, c.command("NOOP").code(), "the client's session goes on");
        }
    }

    @Test
    void slowNextHopTimesOutWithA4xxInsteadOfHangingTheClient() throws Exception {
        nextHop(SmtpSink.withArgs("-W", ".:30"));
        try (SmtpTestClient c = transaction("127.0.7.5")) {
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(message("slow"));
            SmtpTestClient.TimedReply r = c.readReplyTimed();
            assertReply(r.reply(), 451, "4.3.0 Error: queue file write error");
            assertTrue(r.millis() < 10_000, "smtpd_proxy_timeout (3s) bounds the wait, took " + r.millis());
        }
    }
}
