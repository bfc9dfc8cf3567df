package dev.portcullis.edge.smtp;

import dev.portcullis.events.SessionEvent;
import dev.portcullis.testkit.SmtpTestClient;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Table files under a running edge change the way Kubernetes changes a mounted ConfigMap: the
 * files are links into {@code ..data}, itself a link to a timestamped directory, and an update
 * writes a new directory and renames a new {@code ..data} link over the old one. The edge
 * must then give the new verdicts - to new sessions and to one that stayed open across the
 * swap - and a broken table must leave the last good one in force, logged with file:line.
 * The recipient maps reload the same way, and an unknown user's refusal reaches the bus as
 * the 550 5.1.1 REJECT the postfix jail counts.
 */
class TableReloadTest {

    @TempDir
    Path dir;
    private SinkEdge relay;
    private HandBuiltEdge edge;
    private int generation;

    @BeforeEach
    void start() throws Exception {
        configMap("""
                127.0.31.1 DUNNO
                """, """
                alice@ours.example x
                """);
        for (String name : List.of("client", "local")) {
            Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
        }
        relay = SinkEdge.start(dir,
                "portcullis_table_reload_interval = 1s",
                "local_recipient_maps = texthash:" + dir.resolve("local"),
                "smtpd_client_restrictions = check_client_access texthash:" + dir.resolve("client"));
        edge = relay.edge;
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
    }

    /** Writes a new ConfigMap generation and swaps "..data" to it in one rename, as the kubelet does. */
    private void configMap(String client, String local) throws IOException {
        Path gen = dir.resolve("..2026_12_01_gen" + (++generation));
        Files.createDirectory(gen);
        Files.writeString(gen.resolve("client"), client);
        Files.writeString(gen.resolve("local"), local);
        Path tmp = dir.resolve("..data_tmp");
        Files.createSymbolicLink(tmp, gen.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String rcpt(SmtpTestClient c, String to) throws IOException {
        return c.command("RCPT TO:<" + to + ">").lastLine();
    }

    private String freshSession(String to) throws IOException {
        try (SmtpTestClient c = relay.mailFrom("127.0.31.1")) {
            String r = rcpt(c, to);
            c.command("QUIT");
            return r;
        }
    }

    @Test
    void aSwappedConfigMapGivesNewVerdictsWithoutDroppingSessionsAndABrokenOneKeepsTheLastGood() throws Exception {
        try (SmtpTestClient held = relay.mailFrom("127.0.31.1")) {
            assertEquals("550 5.1.1 <nobody@ours.example>: Recipient address rejected: User unknown in local "
                    + "recipient table", rcpt(held, "nobody@ours.example"));
            assertTrue(rcpt(held, "alice@ours.example").startsWith("250"));

            // The unknown user is on the bus as the jail's 550 5.1.1, with the check that fired.
            SessionEvent.Reject unknown = edge.events().stream().filter(SessionEvent.Reject.class::isInstance)
                    .map(SessionEvent.Reject.class::cast).findFirst().orElseThrow();
            assertEquals(550, unknown.code());
            assertEquals("5.1.1", unknown.enhancedCode());
            assertEquals("smtpd_reject_unlisted_recipient", unknown.check());
            assertEquals("nobody@ours.example", unknown.recipient());

            configMap("""
                    127.0.31.1 REJECT swapped in
                    """, """
                    alice@ours.example x
                    nobody@ours.example x
                    """);
            Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> freshSession("alice@ours.example").contains("swapped in"));
            // The session that was open across the swap is still served, with the new tables.
            assertEquals("554 5.7.1 <unknown[127.0.31.1]>: Client host rejected: swapped in",
                    rcpt(held, "nobody@ours.example"));
            assertEquals("250 2.0.0 Ok", held.command("RSET").lastLine());
        }

        // A broken edit: the last good tables stay, and the log names file and line.
        configMap("""
                127.0.31.1 OK
                127.0.31.2
                """, """
                nobody@ours.example x
                """);
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> maillog().contains("not reloaded"));
        String maillog = maillog();
        assertTrue(maillog.contains("warning: table texthash:" + dir.resolve("client") + " not reloaded, the last "
                + "good one stays in force: "), maillog);
        assertTrue(maillog.contains(dir.resolve("client") + ":2: expected format: key whitespace value")
                || maillog.contains(dir.resolve("client") + ", line 2: expected format"), maillog);
        assertTrue(freshSession("alice@ours.example").contains("swapped in"), "the last good client table stays");
        // The local table of the same generation was fine, so it was replaced (its second reload).
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> maillog()
                .split("reloaded table texthash:" + java.util.regex.Pattern.quote(dir.resolve("local").toString()), -1)
                .length - 1 >= 2);
    }

    private String maillog() throws IOException {
        return relay.maillog();
    }
}
