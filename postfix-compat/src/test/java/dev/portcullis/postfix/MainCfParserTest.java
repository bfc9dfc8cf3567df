package dev.portcullis.postfix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainCfParserTest {

    private static final PostfixDefaults DEFAULTS = PostfixDefaults.forHostName("mx.example.com");

    private static MainCf parse(String text) {
        return MainCfParser.parse(text, "main.cf", DEFAULTS);
    }

    private static PostfixConfigException rejected(String text) {
        return assertThrows(PostfixConfigException.class, () -> parse(text));
    }

    @Test
    void definitionsCommentsAndBlankLines() {
        MainCf cf = parse("""
                # a comment
                myhostname = mx.example.com
                   # an indented comment
                mydomain=example.com
                \t
                relay_domains\t=\t example.net ,example.org\t\s
                smtpd_banner = $myhostname # not a comment: '#' only starts a line
                empty =
                """);
        Map<String, Parameter> d = cf.definitions();
        assertEquals(List.of("myhostname", "mydomain", "relay_domains", "smtpd_banner", "empty"),
                List.copyOf(d.keySet()));
        assertEquals(new Parameter("myhostname", "mx.example.com", Origin.at("main.cf", 2)), d.get("myhostname"));
        assertEquals("example.com", d.get("mydomain").value());
        assertEquals("example.net ,example.org", d.get("relay_domains").value());
        assertEquals(Origin.at("main.cf", 6), d.get("relay_domains").origin());
        assertEquals("$myhostname # not a comment: '#' only starts a line", d.get("smtpd_banner").value());
        assertEquals("", d.get("empty").value());
    }

    @Test
    void continuationLinesAreJoinedAsSmtpdSeesThem() {
        // Postfix 3.7.11 smtpd with this main.cf sent the banner
        // "220 vm.localdomain  ESMTP\t\tX  \t  tail": each continuation line is appended with
        // its leading whitespace, after the previous line's trailing whitespace.
        MainCf cf = parse("smtpd_banner = $myhostname\n  ESMTP\t\tX  \n\t  tail  \n");
        assertEquals("$myhostname  ESMTP\t\tX  \t  tail", cf.definitions().get("smtpd_banner").value());
        assertEquals("mx.example.com  ESMTP\t\tX  \t  tail", cf.value("smtpd_banner"));
    }

    @Test
    void commentAndBlankLinesDoNotEndALogicalLine() {
        MainCf cf = parse("""
                mynetworks = 127.0.0.0/8
                # trusted partners:
                   # (indented comment)

                  192.0.2.0/24
                next = 1
                """);
        assertEquals("127.0.0.0/8  192.0.2.0/24", cf.definitions().get("mynetworks").value());
        assertEquals(Origin.at("main.cf", 1), cf.origin("mynetworks"));
        assertEquals(Origin.at("main.cf", 6), cf.origin("next"));
    }

    @Test
    void crlfLinesAndNoFinalNewline() {
        MainCf cf = parse("a = 1\r\nb = 2\r\n  more\r\nc = 3");
        assertEquals("1", cf.value("a"));
        assertEquals("2\r  more", cf.definitions().get("b").value()); // a CR inside stays, as in Postfix
        assertEquals("3", cf.value("c"));
    }

    @Test
    void laterDefinitionWinsWithAWarning() {
        MainCf cf = parse("smtpd_timeout = 10s\nsmtpd_timeout = 20s\n");
        assertEquals("20s", cf.value("smtpd_timeout"));
        assertEquals(Origin.at("main.cf", 2), cf.origin("smtpd_timeout"));
        assertEquals(List.of("main.cf:2: overriding earlier entry: smtpd_timeout=10s"), cf.warnings());
    }

    @Test
    void missingEquals() {
        PostfixConfigException e = rejected("a = 1\nfoo\n");
        assertEquals("main.cf:2: missing '=' after attribute name: \"foo\"", e.getMessage());
        assertEquals(Origin.at("main.cf", 2), e.origin().orElseThrow());
        // Postfix's "a b = 1" is not a name with a space but a name without '='.
        assertEquals("main.cf:1: missing '=' after attribute name: \"a b = 1\"", rejected("a b = 1").getMessage());
        // A master.cf line pasted into main.cf, a classic: the continuation is part of it.
        assertEquals("main.cf:1: missing '=' after attribute name: "
                        + "\"smtp-amavis unix - - - - 2 smtp  -o smtp_data_done_timeout=1...\"",
                rejected("smtp-amavis unix - - - - 2 smtp\n  -o smtp_data_done_timeout=1200\n").getMessage());
    }

    @Test
    void missingName() {
        assertEquals("main.cf:3: missing attribute name: \"= 1\"", rejected("\n# x\n= 1\n").getMessage());
    }

    @Test
    void continuationBeforeAnyParameter() {
        // Postfix warns and ignores the line; we refuse it (see MainCfParser).
        assertEquals("main.cf:2: logical line must not start with whitespace: \"  b = 1\"",
                rejected("# header\n  b = 1\n").getMessage());
    }

    @Test
    void badNames() {
        assertEquals("main.cf:1: bad parameter name \"$a\": only letters, digits, '_', '-' and '.' are allowed",
                rejected("$a = 1").getMessage());
        // A UTF-8 byte order mark, which Postfix would take as part of the name.
        assertEquals("main.cf:1: bad parameter name \"?smtpd_banner\": only letters, digits, '_', '-' and '.'"
                + " are allowed", rejected("\ufeffsmtpd_banner = x").getMessage());
        // Per-service parameter names contain '-' (a master.cf service name).
        assertEquals("3", parse("smtp-amavis_destination_recipient_limit = 3")
                .value("smtp-amavis_destination_recipient_limit"));
    }

    @Test
    void quotedTextIsAShortPrintablePrefix() {
        String junk = "x".repeat(200) + "\u001b[31m";
        String message = rejected(junk).getMessage();
        assertEquals("main.cf:1: missing '=' after attribute name: \"" + "x".repeat(60) + "...\"", message);
        assertEquals("main.cf:1: missing '=' after attribute name: \"bell?and?escape\"",
                rejected("bell\u0007and\u001bescape").getMessage());
    }

    @Test
    void nulIsRefused() {
        assertEquals("main.cf:1: NUL character in line: \"a = b?c\"", rejected("a = b\0c").getMessage());
    }

    @Test
    void readsFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("main.cf");
        Files.writeString(file, "smtpd_soft_error_limit = 3\n", StandardCharsets.UTF_8);
        MainCf cf = MainCfParser.parse(file, DEFAULTS);
        assertEquals(3, cf.parameters().integer("smtpd_soft_error_limit"));
        assertEquals(Origin.at(file.toString(), 1), cf.origin("smtpd_soft_error_limit"));
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path file = dir.resolve("nope.cf");
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> MainCf.parse(file));
        assertEquals("open " + file + ": No such file or directory", e.getMessage());
    }

    @Test
    void invalidUtf8NamesTheLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("main.cf");
        Files.write(file, new byte[] {'a', '=', '1', '\n', 'b', '=', (byte) 0xff, '\n'});
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> MainCf.parse(file));
        assertEquals(file + ":2: invalid UTF-8 byte sequence", e.getMessage());
    }

    @Test
    void emptyFileHasOnlyDefaults() {
        MainCf cf = parse("");
        assertTrue(cf.definitions().isEmpty());
        assertFalse(cf.warnings().iterator().hasNext());
        assertEquals("mx.example.com ESMTP Postfix", cf.value("smtpd_banner"));
    }
}
