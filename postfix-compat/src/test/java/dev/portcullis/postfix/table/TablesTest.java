package dev.portcullis.postfix.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening tables by name, strict-mode errors, hostile table lines, and the postmap tool. */
class TablesTest {

    @TempDir
    Path dir;

    private static String value(LookupTable t, String key) {
        return t.find(key).map(TableMatch::value).orElse(null);
    }

    @Test
    void opensEveryTypeFromItsFile() throws Exception {
        Path re = Files.writeString(dir.resolve("re"), "/^a/ A\n");
        Path cidr = Files.writeString(dir.resolve("cidr"), "192.0.2.0/24 NET\n[2001:db8::]/32 V6\n");
        Path hash = Files.writeString(dir.resolve("access"), "Example.com OK\n");
        assertEquals("A", value(Tables.open("regexp:" + re), "ab"));
        assertEquals("A", value(Tables.open("pcre:" + re), "ab"));
        assertEquals("NET", value(Tables.open("cidr:" + cidr), "192.0.2.7"));
        assertEquals("V6", value(Tables.open("cidr:" + cidr), "2001:db8::7"));
        assertEquals(null, value(Tables.open("cidr:" + cidr), "::ffff:192.0.2.7"));
        assertEquals("OK", value(Tables.open("texthash:" + hash), "EXAMPLE.COM"));
        assertEquals("OK", value(Tables.open("hash:" + hash), "example.com"));
        TableMatch m = Tables.open("hash:" + hash).find("example.com").orElseThrow();
        assertEquals(hash + ":1", m.origin().toString());
        assertEquals("x y", value(Tables.open("inline:{a=1, {b = x y}}"), "B"));
        assertEquals(1, Tables.open("regexp:" + re).size());
        assertEquals(2, Tables.open("cidr:" + cidr).size());
        assertEquals(1, Tables.open("texthash:" + hash).size());
        assertEquals(2, Tables.open("inline:{a=1, {b = x y}}").size());
        assertEquals(3, Tables.parse("regexp:x", "if /a/\n/b/ x\nendif\n/c/ y\n", Tables.Mode.STRICT).size());
        assertTrue(Tables.open("texthash:" + hash).fixedKeys());
        assertTrue(!Tables.open("regexp:" + re).fixedKeys());
    }

    @Test
    void clearErrorsForTablesThatCannotBeOpened() {
        assertEquals("unsupported dictionary type: foo", assertThrows(TableException.class,
                () -> Tables.open("foo:/x")).getMessage());
        assertEquals("open " + dir.resolve("none") + ": No such file or directory",
                assertThrows(TableException.class, () -> Tables.open("regexp:" + dir.resolve("none"))).getMessage());
        assertThrows(TableException.class, () -> Tables.open("noColon"));
        assertThrows(TableException.class, () -> Tables.open("inline:{a}"));
    }

    @Test
    void unreadableTextIsNamedByLine() throws Exception {
        Path latin1 = dir.resolve("latin1");
        Files.write(latin1, "/ok/ x\n/caf\u00e9/ y\n".getBytes(StandardCharsets.ISO_8859_1));
        TableException e = assertThrows(TableException.class, () -> Tables.open("regexp:" + latin1));
        assertEquals(latin1 + ":2: invalid UTF-8 byte sequence", e.getMessage());
        Path dirAsFile = Files.createDirectory(dir.resolve("sub"));
        assertThrows(TableException.class, () -> Tables.open("cidr:" + dirAsFile));
    }

    @Test
    void strictModeRefusesWhatPostfixSkips() {
        assertEquals("c:2: non-null host address bits in \"10.1.0.0/8\", perhaps you should use \"10.0.0.0/8\" instead",
                assertThrows(TableSyntaxException.class,
                        () -> Tables.parse("cidr:c", "10.0.0.0/8 ok\n10.1.0.0/8 x\n", Tables.Mode.STRICT)).getMessage());
        assertEquals("c:1: no lookup result", assertThrows(TableSyntaxException.class,
                () -> Tables.parse("cidr:c", "10.0.0.0/8\n", Tables.Mode.STRICT)).getMessage());
        assertEquals("h:2: expected format: key whitespace value", assertThrows(TableSyntaxException.class,
                () -> Tables.parse("texthash:h", "a b\nkeyonly\n", Tables.Mode.STRICT)).getMessage());
        assertEquals("c:1: IF has no matching ENDIF", assertThrows(TableSyntaxException.class,
                () -> Tables.parse("cidr:c", "if 10.0.0.0/8\n10.1.0.0/16 x\n", Tables.Mode.STRICT)).getMessage());
    }

    @Test
    void cidrIfEndifAndNegation() {
        LookupTable t = Tables.parse("cidr:c", """
                if 172.16.0.0/12
                if !172.16.6.0/24
                172.16.0.0/16 inner
                endif
                endif
                !10.0.0.0/8 not-ten
                """, Tables.Mode.STRICT);
        assertEquals("inner", value(t, "172.16.5.1"));
        assertEquals("not-ten", value(t, "172.16.6.1"));
        assertEquals(null, value(t, "10.1.1.1"));
        assertEquals(null, value(t, "2001:db8::1")); // a negated IPv4 pattern never matches IPv6
        assertEquals(null, value(t, "not an address"));
    }

    @Test
    void texthashKeepsFirstDuplicateAndQuotedKeys() {
        LookupTable t = Tables.parse("texthash:h", "a first\nA second\n\"john doe\"@x quoted\nm one\n  two\n",
                Tables.Mode.STRICT);
        assertEquals("first", value(t, "a"));
        assertEquals("quoted", value(t, "\"john doe\"@x"));
        assertEquals("one  two", value(t, "m"));
        assertEquals("h, line 2: duplicate entry: \"a\"", t.warnings().get(0).postfix());
    }

    @Test
    void hostileRulesAreRefusedQuicklyNotCompiled() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (String rule : new String[] {"/((a{1000}){1000}){1000}/ x", "/(?:(?:(?:a{100}){100}){100}){100}/ x",
                    "/" + "(".repeat(5000) + "a" + ")".repeat(5000) + "/ x", "/a{1001}/ x"}) {
                for (String type : new String[] {"regexp", "pcre"}) {
                    TableSyntaxException e = assertThrows(TableSyntaxException.class,
                            () -> Tables.parse(type + ":t", rule + "\n", Tables.Mode.STRICT));
                    assertTrue(e.getMessage().startsWith("t:1: "), e.getMessage());
                    assertTrue(e.getMessage().length() < 300, e.getMessage());
                }
            }
        });
    }

    @Test
    void hugeKeysAndBinaryKeysAreJustKeys() {
        LookupTable t = Tables.parse("pcre:t", "/x$/ END\n/^(\\w+\\s?)*$/ WORDS\n", Tables.Mode.STRICT);
        String huge = "word ".repeat(200_000) + "!";
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertEquals(null, value(t, huge)));
        assertEquals("END", value(t, "\u0000\u0001\uFFFFx"));
    }

    private record Cli(int exit, String out, String err) {
    }

    private static Cli cli(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Postmap.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void postmapToolPrintsAndExitsAsPostmap() throws Exception {
        Path re = Files.writeString(dir.resolve("re"), "/^a(.)/ found $1\n");
        assertEquals(new Cli(0, "found b\n", ""), cli("", "-c", "/etc/postfix", "-q", "abc", "regexp:" + re));
        assertEquals(new Cli(1, "", ""), cli("", "-q", "xyz", "regexp:" + re));
        assertEquals(new Cli(0, "abc\tfound b\n", ""), cli("abc\nxyz\n", "-q", "-", "regexp:" + re));
        assertEquals(new Cli(1, "", ""), cli("xyz\n", "-q", "-", "regexp:" + re));
        assertEquals(new Cli(1, "", "postmap: fatal: unsupported dictionary type: foo\n"), cli("", "-q", "x", "foo:bar"));
        assertEquals(new Cli(1, "", "postmap: fatal: " + Postmap.USAGE + "\n"), cli("", "-q", "x"));
        Cli missing = cli("", "-q", "x", "regexp:" + dir.resolve("none"));
        assertEquals(1, missing.exit());
        assertEquals("postmap: fatal: open " + dir.resolve("none") + ": No such file or directory\n", missing.err());
    }
}
