package dev.portcullis.edge.smtp;

import dev.portcullis.events.SessionEvent;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the access actions the edge honours do to the mail the next hop (a real smtp-sink)
 * receives: REDIRECT replaces the envelope recipients, BCC adds one, PREPEND puts its header on
 * top, DISCARD lets nothing through at all while the client is told the message was queued.
 * (The replies themselves are compared with a real Postfix in RestrictionsSideBySideTest.)
 */
class AccessActionsTest {

    @TempDir
    Path dir;
    private SinkEdge relay;
    private SmtpSink sink;
    private HandBuiltEdge edge;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("actions"), """
                drop@ours.example DISCARD
                redir@ours.example REDIRECT alice@ours.example
                tagged@ours.example PREPEND X-Tagged: yes
                copy@ours.example BCC audit@ours.example
                """);
        relay = SinkEdge.start(dir,
                "smtpd_recipient_restrictions = check_recipient_access texthash:" + dir.resolve("actions"));
        sink = relay.sink;
        edge = relay.edge;
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
    }

    /** One transaction; returns the reply to the final dot. */
    private String send(String subject, String... recipients) throws IOException {
        try (SmtpTestClient c = relay.mailFrom("127.0.32.1")) {
            for (String r : recipients) {
                assertEquals(250, c.command("RCPT TO:<" + r + ">").code(), r);
            }
            assertEquals(354, c.command("DATA").code());
            c.sendRaw(("Subject: " + subject + "\r\n\r\nbody\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
            String r = c.readReply().lastLine();
            c.command("QUIT");
            return r;
        }
    }

    private List<String> dumps() {
        return sink.messages().stream().map(m -> new String(m, StandardCharsets.ISO_8859_1)).toList();
    }

    @Test
    void redirectBccAndPrependChangeWhatTheNextHopGets() throws Exception {
        assertTrue(send("actions", "x@ours.example", "redir@ours.example", "tagged@ours.example",
                "copy@ours.example").startsWith("250"));
        String dump = new String(sink.awaitMessages(1, Duration.ofSeconds(10)).get(0), StandardCharsets.ISO_8859_1);
        // The envelope: the REDIRECT target alone (x@ was given first and replaced), then the BCC.
        assertEquals(List.of("X-Rcpt-Args: <alice@ours.example>", "X-Rcpt-Args: <audit@ours.example>"),
                dump.lines().filter(l -> l.startsWith("X-Rcpt-Args:")).toList(), dump);
        String content = new String(SmtpSink.content(sink.messages().get(0)), StandardCharsets.ISO_8859_1);
        assertTrue(content.startsWith("X-Tagged: yes\nReceived: from good.example"), content);
        assertTrue(content.contains("Subject: actions\n"), content);
    }

    @Test
    void discardSendsNothingOnAndClaimsDelivery() throws Exception {
        String reply = send("dropped", "x@ours.example", "drop@ours.example", "y@elsewhere.example");
        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        // A marker message after it: once it is there, anything the discarded one sent would be too.
        assertTrue(send("marker", "x@ours.example").startsWith("250"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dumps().stream()
                .anyMatch(m -> m.contains("Subject: marker")));
        assertTrue(dumps().stream().noneMatch(m -> m.contains("Subject: dropped")), dumps().toString());
        SessionEvent.Reject discard = edge.events().stream().filter(SessionEvent.Reject.class::isInstance)
                .map(SessionEvent.Reject.class::cast).findFirst().orElseThrow();
        assertEquals(250, discard.code());
        assertEquals("check_recipient_access texthash:" + dir.resolve("actions"), discard.check());
        assertEquals("DISCARD", discard.text());
    }
}
