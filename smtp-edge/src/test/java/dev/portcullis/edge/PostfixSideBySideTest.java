package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The oracle test: the same scripted sessions against a REAL Postfix 3.7 on loopback and
 * against the edge, both with the tarpit settings of test-main.cf (sleep 1s, soft 3, hard 6,
 * junk 5). Each reply is compared by code, text, and whether it was tarpitted.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class PostfixSideBySideTest {

    private static RealPostfix postfix;

    @Inject
    EdgeApplication edge;

    @BeforeAll
    static void startPostfix() {
        Assumptions.assumeTrue(RealPostfix.available(), "real Postfix not available (needs the postfix package and root)");
        postfix = RealPostfix.started(Map.of(
                "myhostname", "edge.portcullis.test",
                "mydestination", "edge.portcullis.test, ours.example",
                "relay_domains", "relay.example",
                "smtpd_junk_command_limit", "5",
                "smtpd_recipient_limit", "5"));
    }

    @AfterAll
    static void stopPostfix() {
        if (postfix != null) {
            postfix.close();
        }
    }

    /** One reply as the client saw it: code and last line, and whether it was held back. */
    record Seen(String lastLine, boolean delayed) {
    }

    /**
     * Sends each command and reads one reply; after the script, reads any unsolicited reply
     * (the 421 at the hard limit) until the server closes.
     */
    private static List<Seen> run(int port, String from, List<String> script) throws IOException {
        List<Seen> seen = new ArrayList<>();
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, from, Duration.ofSeconds(8))) {
            seen.add(seen(c.readReplyTimed()));
            for (String command : script) {
                seen.add(seen(c.commandTimed(command)));
                if (seen.get(seen.size() - 1).lastLine().startsWith("421")) {
                    return seen;
                }
            }
            c.timeout(Duration.ofMillis(2500));
            try {
                seen.add(seen(c.readReplyTimed()));
            } catch (SocketTimeoutException | java.io.EOFException e) {
                // nothing more: the server waits for the next command
            }
        }
        return seen;
    }

    private static Seen seen(SmtpTestClient.TimedReply r) {
        // 600 ms separates "immediate" from "waited the 1 s sleep" with room for a busy machine.
        return new Seen(r.reply().lastLine(), r.millis() >= 600);
    }

    private void compare(String name, List<String> script, String postfixFrom, String edgeFrom) throws IOException {
        List<Seen> expected = run(postfix.port(), postfixFrom, script);
        List<Seen> actual = run(edge.smtpPort(), edgeFrom, script);
        // The banner's host is the same; Postfix says "Postfix", so does our default mail_name.
        assertEquals(render(expected), render(actual), name);
    }

    private static String render(List<Seen> seen) {
        StringBuilder sb = new StringBuilder();
        for (Seen s : seen) {
            sb.append(s.delayed() ? "[slow] " : "[fast] ").append(s.lastLine()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void unknownCommandsUntilTheHardLimit() throws IOException {
        compare("unknown commands", List.of("BOGUS1", "BOGUS2", "BOGUS3", "BOGUS4", "BOGUS5", "BOGUS6", "NOOP"),
                "127.0.11.1", "127.0.11.2");
    }

    @Test
    void relayAttemptsAndSequenceErrors() throws IOException {
        compare("relay attempts", List.of("HELO spammer.example", "MAIL FROM:<s@spammer.example>",
                        "RCPT TO:<v1@elsewhere.example>", "RCPT TO:<v2%elsewhere.example@ours.example>",
                        "DATA", "RSET", "RCPT TO:<x@relay.example>", "NOOP", "QUIT"),
                "127.0.11.3", "127.0.11.4");
    }

    @Test
    void syntaxErrorsAndJunkCommands() throws IOException {
        compare("syntax and junk", List.of("EHLO", "HELO", "MAIL TO:<a@b>", "MAIL FROM:<a@b> BOGUS=1",
                        "NOOP", "NOOP", "NOOP", "NOOP", "NOOP", "NOOP", "NOOP", "RSET", "VRFY", "QUIT"),
                "127.0.11.5", "127.0.11.6");
    }

    @Test
    void nonSmtpClientIsShownTheDoor() throws IOException {
        compare("http to smtp", List.of("GET / HTTP/1.1"), "127.0.11.7", "127.0.11.8");
    }

    @Test
    void theGoodbyeToANonSmtpClientIsTarpittedToo() throws IOException {
        compare("errors then http", List.of("BOGUS1", "BOGUS2", "BOGUS3", "GET / HTTP/1.1"), "127.0.11.9",
                "127.0.11.10");
    }
}
