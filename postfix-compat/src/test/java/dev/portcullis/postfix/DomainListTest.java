package dev.portcullis.postfix;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DomainListTest {

    private static final Origin MAIN_CF_1 = Origin.at("main.cf", 1);

    /** domains.golden: style, patterns, domain, verdict side by side. */
    @TestFactory
    Stream<DynamicTest> goldenCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : Golden.text("domains.golden").split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split(" \\| ", 4);
            DomainList.Style style = DomainList.Style.valueOf(f[0]);
            tests.add(DynamicTest.dynamicTest(line, () -> {
                DomainList list = DomainList.parse("relay_domains", f[1], MAIN_CF_1, style);
                assertEquals(f[3].equals("MATCH"), list.matches(f[2]), list.toString());
            }));
        }
        assertTrue(tests.size() > 25);
        return tests.stream();
    }

    @Test
    void tablesAreRefusedForNow() {
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> DomainList.parse("relay_domains", "example.com, hash:/etc/postfix/relay", MAIN_CF_1,
                        DomainList.Style.PARENT));
        assertEquals("main.cf:1: relay_domains: lookup tables in relay_domains are not supported yet:"
                + " \"hash:/etc/postfix/relay\"", e.getMessage());
    }

    @Test
    void negationWithoutPattern() {
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> DomainList.parse("relay_domains", "!!", MAIN_CF_1, DomainList.Style.PARENT));
        assertEquals("main.cf:1: relay_domains: no pattern after '!'", e.getMessage());
    }

    @Test
    void patternsThatCanNeverMatchAreWarnedAbout() {
        DomainList parent = DomainList.parse("relay_domains", ".example.com", MAIN_CF_1, DomainList.Style.PARENT);
        assertFalse(parent.matches("a.example.com"));
        assertEquals(List.of("main.cf:1: relay_domains: pattern \".example.com\" never matches here"
                + " (parent_domain_matches_subdomains: write \"example.com\", which also matches subdomains)"),
                parent.warnings());
        DomainList exact = DomainList.parse("mydestination", ".example.com", MAIN_CF_1, DomainList.Style.EXACT);
        assertEquals(List.of("main.cf:1: mydestination: pattern \".example.com\" never matches here"
                + " (mydestination matches whole names only)"), exact.warnings());
        assertTrue(DomainList.parse("x", ".example.com", MAIN_CF_1, DomainList.Style.DOT_PREFIX).warnings().isEmpty());
    }

    @Test
    void fileNamePatterns(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("relay");
        Files.writeString(file, "# relayed for\nexample.com\n!private.example.net example.net\n");
        DomainList list = DomainList.parse("relay_domains", file.toString(), MAIN_CF_1, DomainList.Style.PARENT);
        assertTrue(list.matches("mail.example.com"));
        assertFalse(list.matches("private.example.net"));
        assertTrue(list.matches("example.net"));
        assertFalse(list.matches("example.org"));
    }
}
