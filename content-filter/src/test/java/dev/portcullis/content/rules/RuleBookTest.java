package dev.portcullis.content.rules;

import dev.portcullis.content.check.Checks;
import dev.portcullis.postfix.table.TableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleBookTest {

    Path dir;
    Path table;
    String name;
    long version;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("rulebook");
        table = dir.resolve("header_checks");
        name = "regexp:" + table;
        write("# comment\n/^Subject: a/ REJECT a\n  continued\nif /^Subject/\n/b/ WARN b\nendif\n");
    }

    @AfterEach
    void tearDown() throws IOException {
        Files.deleteIfExists(table);
        Files.deleteIfExists(dir);
    }

    /** Writes a new version with a distinct modification time (no reliance on clock resolution). */
    void write(String text) throws IOException {
        Files.writeString(table, text);
        Files.setLastModifiedTime(table, FileTime.fromMillis(1_000_000L + 1000 * version++));
    }

    RuleBook book() {
        return new RuleBook(Map.of(Checks.HEADER, List.of(name), Checks.MIME, List.of(name)), Clock.systemUTC());
    }

    @Test
    void aBadTableStopsStartUpWithFileAndLine() throws IOException {
        write("/ok/ WARN\n/(unclosed/ REJECT\n");
        TableException e = assertThrows(TableException.class, this::book);
        assertTrue(e.getMessage().contains(table + ":2"), e.getMessage());
        Files.delete(table);
        e = assertThrows(TableException.class, this::book);
        assertTrue(e.getMessage().contains(table.toString()), e.getMessage());
    }

    @Test
    void reloadPicksUpChangesAndKeepsTheLastGoodRules() throws IOException {
        RuleBook book = book();
        assertEquals(1, book.status().tables().size(), "one table for two parameters");
        assertEquals(List.of("header_checks", "mime_header_checks"), book.status().tables().get(0).usedBy());
        assertEquals(3, book.status().tables().get(0).rules());
        assertFalse(book.reload(), "nothing changed");
        assertTrue(book.rules().find(Checks.HEADER, "Subject: a").isPresent());

        write("/^Subject: c/ REJECT c\n");
        assertTrue(book.reload());
        assertTrue(book.rules().find(Checks.MIME, "Subject: c").isPresent());
        assertTrue(book.rules().find(Checks.HEADER, "Subject: a").isEmpty());

        write("/^Subject: d/ REJECT d\n/[z-a]/ REJECT\n");
        assertFalse(book.reload());
        assertTrue(book.rules().find(Checks.HEADER, "Subject: c").isPresent(), "the last good rules stay in force");
        assertTrue(book.rules().find(Checks.HEADER, "Subject: d").isEmpty());
        assertTrue(book.status().tables().get(0).error().contains(table + ":2"), book.status().tables().get(0).error());
        assertEquals(1, book.errorCount());
        assertFalse(book.reload(), "the same broken version again");
        assertEquals(1, book.status().failures(), "counted once per broken version");

        write("/^Subject: e/ REJECT e\n");
        assertTrue(book.reload());
        assertNull(book.status().tables().get(0).error());
        assertEquals(0, book.errorCount());
        assertTrue(book.rules().find(Checks.HEADER, "Subject: e").isPresent());
        assertEquals(2, book.status().reloads());
    }

    @Test
    void aDeletedTableKeepsItsRules() throws IOException {
        RuleBook book = book();
        Files.delete(table);
        assertFalse(book.reload());
        assertTrue(book.rules().find(Checks.HEADER, "Subject: a").isPresent());
        assertTrue(book.status().tables().get(0).error().contains(table.toString()), book.status().tables().get(0).error());
        Instant at = book.status().tables().get(0).errorAt();
        assertTrue(at != null);
    }
}
