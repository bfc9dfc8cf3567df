package dev.portcullis.edge;

import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edge's maillog is Postfix's format: fail2ban's STOCK postfix filter finds the
 * attacker in it, unchanged (Debian package fail2ban).
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class MailLogFail2banTest {

    private static final Path FILTER = Path.of("/etc/fail2ban/filter.d/postfix.conf");

    @Inject
    EdgeApplication edge;

    @Test
    void fail2banStockPostfixFilterMatchesRelayRejects() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FILTER) && Files.isExecutable(Path.of("/usr/bin/fail2ban-regex")),
                "fail2ban not installed");
        String attacker = "127.0.8.1";
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), attacker, Duration.ofSeconds(10))) {
            c.readReply();
            c.command("EHLO spammer.example");
            c.command("MAIL FROM:<spam@spammer.example>");
            for (int i = 0; i < 3; i++) {
                assertEquals(454, c.command("RCPT TO:<victim" + i + "@elsewhere.example>").code());
            }
            c.command("QUIT");
        }
        Path log = EdgeTestResource.maillog();
        // The log writer flushes in the background.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> countLines(log, "disconnect from unknown[" + attacker + "]") > 0);
        List<String> ours = Files.readAllLines(log).stream().filter(l -> l.contains("[" + attacker + "]")).toList();
        assertTrue(ours.stream().anyMatch(l -> l.matches(
                "\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d edge postfix/smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from "
                        + "unknown\\[127\\.0\\.8\\.1\\]: 454 4\\.7\\.1 <victim0@elsewhere\\.example>: Relay access denied; "
                        + "from=<spam@spammer\\.example> to=<victim0@elsewhere\\.example> proto=ESMTP "
                        + "helo=<spammer\\.example> check=<defer_unauth_destination>")), String.join("\n", ours));

        Path only = Files.createTempFile("maillog-attacker", ".log");
        try {
            Files.write(only, ours);
            Process p = new ProcessBuilder("fail2ban-regex", "--print-all-matched", only.toString(), FILTER.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            Matcher m = Pattern.compile("Lines: (\\d+) lines, \\d+ ignored, (\\d+) matched").matcher(out);
            assertTrue(m.find(), out);
            assertEquals(3, Integer.parseInt(m.group(2)), "three relay rejects matched:\n" + out);
            assertTrue(out.contains(attacker), out);
        } finally {
            Files.deleteIfExists(only);
        }
    }

    private static long countLines(Path log, String needle) throws Exception {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }
}
