package dev.portcullis.agent.export;

import dev.portcullis.agent.LiveSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.agent.TestDecisions.allBut;
import static dev.portcullis.agent.TestDecisions.allow;
import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.TestDecisions.lift;
import static dev.portcullis.agent.TestDecisions.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The cidr table export, read by the real {@code postmap -q KEY cidr:FILE} (the oracle). */
class CidrExportPostmapTest {

    static final Path POSTMAP = Path.of("/usr/sbin/postmap");

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.now());
    private LiveSet live;
    private CidrExport export;
    private Path table;

    @BeforeEach
    void setUp() {
        assumeTrue(Files.isExecutable(POSTMAP), "needs Postfix's postmap");
        live = new LiveSet(clock, 1000, 1000);
        table = dir.resolve("portcullis.cidr");
        try {
            // postmap reads a main.cf; an empty one of our own, never /etc/postfix's
            Files.writeString(Files.createDirectories(conf()).resolve("main.cf"), "compatibility_level = 3.6\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        export = new CidrExport(live, table, "REJECT", "DUNNO", 25, List.of(), Duration.ofMillis(50));
        live.addListener(export);
    }

    @Test
    void postmapAnswersRejectForBannedAddressesAndNothingForOthers() throws IOException {
        publish(live, ban("192.0.2.7/32", null));
        publish(live, ban("198.51.100.0/24", clock.instant().plusSeconds(3600)));
        publish(live, ban("2001:db8::/64", null));
        export.tick();
        assertFalse(Files.exists(table), "nothing is written before the replay is complete");
        live.replayed();
        export.tick();
        assertEquals("REJECT", postmap("192.0.2.7"));
        assertEquals("REJECT", postmap("198.51.100.200"));
        assertEquals("REJECT", postmap("2001:db8::1234"));
        assertEquals(null, postmap("192.0.2.8"));
        assertEquals(null, postmap("2001:db8:1::1"));
        assertEquals(null, postmap("10.0.0.1"));
    }

    @Test
    void allowLinesComeFirstSoAnExceptionWinsInsideABannedNetwork() throws IOException {
        live.replayed();
        publish(live, ban("192.0.2.0/24", null));
        publish(live, allow("192.0.2.9/32", null));
        export.tick();
        assertEquals("DUNNO", postmap("192.0.2.9"), "the exception matches first: check_client_access does nothing");
        assertEquals("REJECT", postmap("192.0.2.10"));
        List<String> lines = Files.readAllLines(table).stream().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of("192.0.2.9/32 DUNNO", "192.0.2.0/24 REJECT"), lines);
    }

    @Test
    void liftedAndExpiredDecisionsLeaveTheTableAndPortScopesAreHonoured() throws IOException {
        live.replayed();
        publish(live, ban("192.0.2.7/32", null));
        publish(live, ban("192.0.2.8/32", clock.instant().plusSeconds(60)));
        publish(live, ban("192.0.2.9/32", null, 80, 443));   // not the SMTP port: not exported
        publish(live, ban("192.0.2.10/32", null, 25));        // the SMTP port: exported
        publish(live, allBut("192.0.2.11/32", null, 80));      // every port but the web: exported
        publish(live, allBut("192.0.2.12/32", null, 25, 80));  // every port but SMTP: not exported
        export.tick();
        assertEquals("REJECT", postmap("192.0.2.8"));
        assertEquals(null, postmap("192.0.2.9"));
        assertEquals("REJECT", postmap("192.0.2.10"));
        assertEquals("REJECT", postmap("192.0.2.11"));
        assertEquals(null, postmap("192.0.2.12"));

        lift(live, "192.0.2.7/32");
        export.tick();
        assertEquals(null, postmap("192.0.2.7"));

        clock.advance(Duration.ofSeconds(61));                 // no tombstone: the expiry alone removes it
        export.tick();
        assertEquals(null, postmap("192.0.2.8"));
        assertEquals("REJECT", postmap("192.0.2.10"));
    }

    @Test
    void theTableIsReplacedByRenameAndOnlyWhenItChanges() throws IOException {
        live.replayed();
        publish(live, ban("192.0.2.7/32", null));
        export.tick();
        Object firstFile = Files.getAttribute(table, "unix:ino");
        long writes = export.writes();
        publish(live, ban("192.0.2.7/32", null));              // the same decision again
        export.tick();
        assertEquals(writes, export.writes(), "same content: not rewritten");
        publish(live, ban("192.0.2.8/32", null));
        export.tick();
        assertNotEquals(firstFile, Files.getAttribute(table, "unix:ino"), "a new file renamed over the old one");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(table), files.filter(f -> !f.equals(conf())).toList(), "no temporary file left behind");
        }
        assertTrue(Files.readString(table).startsWith("# Postfix cidr table written by the Portcullis"));
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsCountedAndRetried() throws IOException {
        Path blocked = dir.resolve("not-a-dir");
        Files.writeString(blocked, "a file where the directory should be");
        CidrExport bad = new CidrExport(live, blocked.resolve("t.cidr"), "REJECT", "DUNNO", 25, List.of(),
                Duration.ofMillis(50));
        live.addListener(bad);
        live.replayed();
        bad.tick();
        assertEquals(1, bad.failures());
        assertTrue(bad.lastError() != null && !bad.isWritten());
        bad.tick();
        assertEquals(2, bad.failures(), "retried at the next tick");
    }

    /** {@code postmap -q key cidr:table}: its answer, or null when the key is not found (exit 1). */
    private String postmap(String key) {
        try {
            Process p = new ProcessBuilder(POSTMAP.toString(), "-c", conf().toString(), "-q", key, "cidr:" + table).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            if (p.exitValue() == 1 && out.isEmpty()) {
                return null;
            }
            assertEquals(0, p.exitValue(), "postmap: " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Path conf() {
        return dir.resolve("postfix-conf");
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
