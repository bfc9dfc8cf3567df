package dev.portcullis.postfix;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Checks this package against the installed Postfix's postconf(1): expansion, built-in
 * defaults and main.cf syntax. Skipped where Postfix is not installed.
 *
 * <p>postconf -h and -x print values with whitespace runs folded to one space, so values are
 * compared folded here; MainCfParserTest pins the unfolded form smtpd uses.
 */
class PostconfOracleTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void postfixInstalled() {
        assumeTrue(Postconf.installed(), "Postfix's postconf is not installed");
    }

    /** Makes user-defined parameters "used", without which postconf will not print them. */
    private static String use(List<String> names) {
        StringBuilder b = new StringBuilder("oracle_uses =");
        names.forEach(n -> b.append(" $").append(n));
        return b.append("\nsmtpd_helo_restrictions = $oracle_uses\n").toString();
    }

    private Postconf.Result postconf(String mainCf, String... args) {
        Postconf.Result r = Postconf.run(dir, mainCf, args);
        assertEquals(0, r.exit(), () -> "postconf failed: " + r.err());
        return r;
    }

    @Test
    void expansionGoldenFileIsWhatPostconfSays() {
        String text = Golden.text("expansion.cf");
        Map<String, String> cases = Golden.expectations(text);
        List<String> names = List.copyOf(cases.keySet());
        List<String> args = new ArrayList<>(List.of("-xh"));
        args.addAll(names);
        List<String> lines = postconf(text + use(names), args.toArray(String[]::new)).lines();
        assertEquals(names.size(), lines.size(), lines::toString);
        MainCf ours = MainCf.parse(text, "expansion.cf");
        assertAll(names.stream().map(n -> () -> {
            String postfix = lines.get(names.indexOf(n));
            assertEquals(Postconf.fold(cases.get(n)), postfix, n);
            assertEquals(postfix, Postconf.fold(ours.value(n)), n);
        }));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "t = ${b|truncated macro reference: \"${b\"",
        "t = x$ y|empty macro name: \"x$ y\"",
        "t = ${}|empty macro name: \"${}\"",
        "t = ${b-c}|attribute name syntax error at: \"...b>>>-c\"",
        "b = 1\nt = ${b?{x}junk}|\":\" expected at: \"...x}>>>junk\"",
        "b = 1\nt = ${b?{x}:{y}junk}|unexpected input at: \"...y}>>>junk\"",
        "b = 1\nt = $(b?{x)|unbalanced {} in attribute expression: \"{x\"",
        "t = ${{1} <foo {2}}|bad operator suffix at: \"...<>>>foo\"",
        "t = ${{x} <level {2}}|malformed compatibility level syntax: \"x\"",
        "t = ${{99999999999999999999} < {1}}|mac_exp_eval: bad conversion",
        "t = $a\na = $b\nb = $a|unreasonable macro call nesting",
        "t = x$t|unreasonable macro call nesting",
    })
    void expansionErrorsArePostfixErrors(String testCase) {
        String mainCf = testCase.substring(0, testCase.lastIndexOf('|')) + "\n";
        String phrase = testCase.substring(testCase.lastIndexOf('|') + 1);
        Postconf.Result r = Postconf.run(dir, "smtpd_banner = $t\n" + mainCf, "-xh", "t");
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.err().contains(phrase), r.err());
        MainCf ours = MainCf.parse(mainCf, "main.cf");
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> ours.value("t"));
        assertTrue(e.getMessage().contains(phrase), e.getMessage());
    }

    @Test
    void nestingLimitIsPostfixs() {
        for (int n : new int[] {98, 99}) {
            StringBuilder b = new StringBuilder("smtpd_banner = $t1\nt1 = $p1\n");
            for (int i = 1; i <= n; i++) {
                b.append('p').append(i).append(" = $p").append(i + 1).append('\n');
            }
            b.append('p').append(n + 1).append(" = end\n");
            Postconf.Result r = Postconf.run(dir, b.toString(), "-xh", "t1");
            MainCf ours = MainCf.parse(b.toString(), "main.cf");
            if (n == 98) {
                assertEquals(List.of("end"), r.lines());
                assertEquals("end", ours.value("t1"));
            } else {
                assertTrue(r.err().contains("unreasonable macro call nesting"), r.err());
                assertThrows(PostfixConfigException.class, () -> ours.value("t1"));
            }
        }
    }

    /** Our table against postconf -d; the two deliberate differences are pinned here. */
    @Test
    void defaultsAreWhatPostconfDSays() {
        PostfixDefaults defaults = PostfixDefaults.standard();
        List<String> names = new ArrayList<>();
        for (String n : defaults.names()) {
            if (defaults.defaultValue(n).isPresent()) {
                names.add(n);
            }
        }
        List<String> args = new ArrayList<>(List.of("-dh"));
        args.addAll(names);
        List<String> lines = postconf("", args.toArray(String[]::new)).lines();
        assertEquals(names.size(), lines.size());
        assertAll(names.stream().map(n -> () -> {
            String postfix = lines.get(names.indexOf(n));
            String ours = defaults.defaultValue(n).orElseThrow();
            switch (n) {
                case "smtpd_forbid_bare_newline" -> {
                    assertEquals("no", postfix, "Postfix 3.7's default");
                    assertEquals("normal", ours, "Postfix 3.9's default");
                }
                case "compatibility_level" -> {
                    assertEquals("0", postfix, "Postfix's default");
                    assertEquals("3.6", ours, "the stock main.cf's setting");
                }
                default -> assertEquals(postfix, Postconf.fold(ours), n);
            }
        }));
    }

    /** Every default, expanded, against postconf -xh at each compatibility level. */
    @ParameterizedTest
    @ValueSource(strings = {"3.6", "2", "1", "0"})
    void expandedDefaultsAreWhatPostconfSays(String level) {
        // mynetworks is set: Postfix computes its default from this host's interfaces.
        String mainCf = "compatibility_level = " + level + "\nmynetworks = 192.0.2.0/24, [2001:db8::]/32\n";
        Set<String> names = new TreeSet<>(PostfixDefaults.standard().names());
        names.remove("smtpd_forbid_bare_newline");
        names.add("smtpd_client_connection_limit_exceptions");
        List<String> list = List.copyOf(names);
        List<String> args = new ArrayList<>(List.of("-xh"));
        args.addAll(list);
        List<String> lines = postconf(mainCf, args.toArray(String[]::new)).lines();
        assertEquals(list.size(), lines.size());
        MainCf ours = MainCf.parse(mainCf, "main.cf");
        assertAll(list.stream().map(n -> () -> assertEquals(lines.get(list.indexOf(n)), Postconf.fold(ours.value(n)), n)));
    }

    @Test
    void oldExceptionsNameEmptiesTheNewOne() {
        String mainCf = "smtpd_client_connection_limit_exceptions = 192.0.2.0/24\n";
        assertEquals(List.of(""), postconf(mainCf, "-xh", "smtpd_client_event_limit_exceptions").lines());
        assertEquals("", MainCf.parse(mainCf, "main.cf").value("smtpd_client_event_limit_exceptions"));
    }

    @Test
    void syntaxIsReadAsPostconfReadsIt() {
        String mainCf = "# comment\n"
                + "p1 = simple\n"
                + "p2=nospace\n"
                + "p3\t=\ttabs around\t \n"
                + "p4 = continued\n"
                + "  on the next line\n"
                + "# a comment inside\n"
                + "\tand a tab line\n"
                + "\n"
                + "p5 = value # not a comment\n"
                + "   # indented comment line\n"
                + "p6 = first\n"
                + "p6 = second\n"
                + "p7 =\n"
                + "p8 = trailing   \n"
                + "p9 = crlf\r\n"
                + "  continued\r\n"
                + "p10 = $p1 ${p2} $$literal\n";
        List<String> names = List.of("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10");
        List<String> args = new ArrayList<>(List.of("-h"));
        args.addAll(names);
        List<String> lines = postconf(mainCf + use(names), args.toArray(String[]::new)).lines();
        MainCf ours = MainCf.parse(mainCf, "main.cf");
        assertEquals(names.size(), lines.size());
        assertAll(names.stream().map(n -> () -> assertEquals(lines.get(names.indexOf(n)),
                Postconf.fold(ours.definitions().get(n).value()), n)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "a = 1\nfoo\n|2|missing '=' after attribute name: \"foo\"",
        "a = 1\n\n= 1\n|3|missing attribute name: \"= 1\"",
        "a b = 1\n|1|missing '=' after attribute name: \"a b = 1\"",
    })
    void syntaxErrorsArePostfixErrors(String testCase) {
        String[] f = testCase.split("\\|", 3);
        Postconf.Result r = Postconf.run(dir, f[0], "-h", "mail_version");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("main.cf, line " + f[1] + ": " + f[2]), r.err());
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> MainCf.parse(f[0], "main.cf"));
        assertEquals("main.cf:" + f[1] + ": " + f[2], e.getMessage());
    }

    @Test
    void continuationBeforeTheFirstParameterIsOnlyAWarningInPostfix() {
        Postconf.Result r = Postconf.run(dir, "  b = 1\n", "-h", "mail_version");
        assertEquals(0, r.exit());
        assertTrue(r.err().contains("logical line must not start with whitespace: \"  b = 1\""), r.err());
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> MainCf.parse("  b = 1\n", "main.cf"));
        assertEquals("main.cf:1: logical line must not start with whitespace: \"  b = 1\"", e.getMessage());
    }
}
