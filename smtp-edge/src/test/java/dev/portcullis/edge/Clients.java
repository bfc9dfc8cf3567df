package dev.portcullis.edge;

import dev.portcullis.testkit.SmtpTestClient;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Opening test sessions to the edge: from a given 127.x address, past the 220 greeting. */
final class Clients {

    private Clients() {
    }

    static SmtpTestClient greeted(int port, String from) throws IOException {
        SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, from, Duration.ofSeconds(10));
        assertEquals(220, c.readReply().code(), "greeting");
        return c;
    }
}
