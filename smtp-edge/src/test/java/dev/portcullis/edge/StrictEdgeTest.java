package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.portcullis.edge.SmtpProtocolTest.assertReply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge with the stricter settings of SmallBusBufferResource:
 * {@code smtpd_forbid_bare_newline = reject} and {@code default_process_limit = 30}.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(SmallBusBufferResource.class)
class StrictEdgeTest {

    @Inject
    EdgeApplication edge;

    private SmtpTestClient connect(String from) throws Exception {
        return Clients.greeted(edge.smtpPort(), from);
    }

    @Test
    void bareLfOnACommandLineIsRefusedAndTheSessionClosed() throws Exception {
        try (SmtpTestClient c = connect("127.0.13.1")) {
            c.sendRaw("NOOP\n".getBytes(StandardCharsets.US_ASCII));
            assertReply(c.readReply(), 550, "5.5.2 edge.portcullis.test Error: bare <LF> received");
            assertTrue(c.awaitClose(Duration.ofSeconds(5)));
        }
    }

    @Test
    void bareLfInDataRefusesTheMessageAtTheEndAndTheSessionGoesOn() throws Exception {
        int before = SmallBusBufferResource.sink().messages().size();
        try (SmtpTestClient c = connect("127.0.13.2")) {
            c.command("EHLO client.example");
            c.command("MAIL FROM:<a@example.org>");
            assertEquals(250, c.command("RCPT TO:<user@ours.example>").code());
            assertEquals(354, c.command("DATA").code());
            c.sendRaw("Subject: bare-lf-marker\r\n\r\nline with bare lf\nnext\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertReply(c.readReply(), 550, "5.5.2 edge.portcullis.test Error: bare <LF> received");
            assertEquals(250, c.command("NOOP").code());
        }
        for (byte[] m : SmallBusBufferResource.sink().messages()) {
            assertFalse(new String(m, StandardCharsets.ISO_8859_1).contains("bare-lf-marker"), "never forwarded");
        }
        assertTrue(SmallBusBufferResource.sink().messages().size() >= before);
    }

    @Test
    void sessionsBeyondDefaultProcessLimitAreToldAllPortsAreBusy() throws Exception {
        List<SmtpTestClient> held = new ArrayList<>();
        try {
            // Spread over addresses: the per-client connection count limit (20) must not bite first.
            for (int i = 0; i < 30; i++) {
                held.add(connect("127.0.13." + (10 + i % 3)));
            }
            try (SmtpTestClient over = SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), "127.0.13.20",
                    Duration.ofSeconds(10))) {
                assertReply(over.readReply(), 421, "4.3.2 All server ports are busy");
                assertTrue(over.awaitClose(Duration.ofSeconds(5)));
            }
        } finally {
            for (SmtpTestClient c : held) {
                c.close();
            }
        }
        // Slots are given back when sessions end.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> edge.activeSessions() == 0);
        try (SmtpTestClient c = connect("127.0.13.21")) {
            assertEquals(250, c.command("NOOP").code());
        }
    }
}
