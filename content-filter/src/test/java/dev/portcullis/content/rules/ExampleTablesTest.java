package dev.portcullis.content.rules;

import dev.portcullis.content.check.Table;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The launcher's example tables (config/header_checks, config/body_checks) load in strict
 * mode and answer what {@code postmap -q} answered for the same lines.
 */
class ExampleTablesTest {

    static final Path CONFIG = Path.of("..", "config");

    static void expect(String table, Map<String, String> cases) {
        Table t = PostfixTables.open("regexp:" + CONFIG.resolve(table).toAbsolutePath());
        cases.forEach((line, value) -> assertEquals(Optional.ofNullable(value),
                t.find(line).map(Table.Match::value), line));
    }

    @Test
    void headerChecks() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("Content-Disposition: attachment; filename=\"invoice.exe\"",
                "REJECT 5.7.1 Attachment type .exe is not accepted here; send it as an archive");
        c.put("Content-Type: application/x-msdownload", "REJECT 5.7.1 Executable content is not accepted here");
        c.put("Subject: URGENT: pay now", "REPLACE Subject: [SUSPICIOUS] pay now");
        c.put("X-Spam-Flag: YES", "IGNORE");
        c.put("Subject: buy viagra", "REJECT 5.7.1 Message content rejected (pharmacy spam)");
        c.put("Subject: hello", null);
        c.put("Content-Disposition: attachment; filename=\"report.pdf\"", null);
        expect("header_checks", c);
    }

    @Test
    void bodyChecks() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("TVqQAAMAAAAEAAAA//8AALgAAAAA", "REJECT 5.7.1 Executable attachment not accepted");
        c.put("Congratulations, you have won the national lottery", "REJECT 5.7.1 Message content rejected (lottery scam)");
        c.put("an ordinary line", null);
        expect("body_checks", c);
        assertEquals(true, Files.isRegularFile(CONFIG.resolve("body_checks")));
    }
}
