package dev.portcullis.content.config;

import dev.portcullis.content.check.Checks;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.PostfixConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContentSettingsLoaderTest {

    static ContentSettings load(String mainCf) {
        return ContentSettingsLoader.from(MainCf.parse(mainCf, "main.cf").parameters(), "5s");
    }

    @Test
    void postfixDefaults() {
        ContentSettings s = load("");
        for (Checks c : Checks.values()) {
            assertEquals(List.of(), s.tables().get(c), c.parameter());
        }
        assertEquals(51200, s.limits().bodyChecksSizeLimit());
        assertEquals(102400, s.limits().headerSizeLimit());
        assertFalse(s.limits().mimeDisabled());
        assertEquals(10240000, s.maxMessageBytes());
        assertEquals(Duration.ofSeconds(5), s.reloadInterval());
    }

    @Test
    void mimeAndNestedChecksDefaultToHeaderChecks() {
        ContentSettings s = load("header_checks = regexp:/etc/postfix/hc, pcre:/etc/postfix/hc2\n");
        List<String> hc = List.of("regexp:/etc/postfix/hc", "pcre:/etc/postfix/hc2");
        assertEquals(hc, s.tables().get(Checks.HEADER));
        assertEquals(hc, s.tables().get(Checks.MIME));
        assertEquals(hc, s.tables().get(Checks.NESTED));
        assertEquals(List.of(), s.tables().get(Checks.BODY));
        // Set explicitly, even to nothing, they stand on their own.
        ContentSettings t = load("header_checks = regexp:/a\nmime_header_checks =\nnested_header_checks = regexp:/n\n"
                + "body_checks = pcre:/b\nbody_checks_size_limit = 0\ndisable_mime_input_processing = yes\n"
                + "header_size_limit = 2048\n");
        assertEquals(List.of(), t.tables().get(Checks.MIME));
        assertEquals(List.of("regexp:/n"), t.tables().get(Checks.NESTED));
        assertEquals(List.of("pcre:/b"), t.tables().get(Checks.BODY));
        assertEquals(0, t.limits().bodyChecksSizeLimit());
        assertTrue(t.limits().mimeDisabled());
        assertEquals(2048, t.limits().headerSizeLimit());
        assertEquals("main.cf:3", t.origins().get(Checks.NESTED));
    }

    @Test
    void badValuesNameTheSettingAndTheLine() {
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> load("# x\nbody_checks_size_limit = lots\n"));
        assertTrue(e.getMessage().contains("main.cf:2"), e.getMessage());
        e = assertThrows(PostfixConfigException.class, () -> load("header_checks = /etc/postfix/hc\n"));
        assertTrue(e.getMessage().contains("need dictionary type:name"), e.getMessage());
        e = assertThrows(PostfixConfigException.class, () -> load("disable_mime_input_processing = maybe\n"));
        assertTrue(e.getMessage().contains("disable_mime_input_processing"), e.getMessage());
        e = assertThrows(PostfixConfigException.class,
                () -> ContentSettingsLoader.from(MainCf.parse("", "main.cf").parameters(), "often"));
        assertTrue(e.getMessage().contains("portcullis.content.reload-interval"), e.getMessage());
    }
}
