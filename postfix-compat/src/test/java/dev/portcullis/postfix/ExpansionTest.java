package dev.portcullis.postfix;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpansionTest {

    private static final PostfixDefaults DEFAULTS = PostfixDefaults.forHostName("mx.example.com");

    private static MainCf parse(String text) {
        return MainCfParser.parse(text, "main.cf", DEFAULTS);
    }

    private static String rejected(String text, String name) {
        MainCf cf = parse(text);
        return assertThrows(PostfixConfigException.class, () -> cf.value(name)).getMessage();
    }

    /** expansion.cf: the expected values are checked against postconf by PostconfOracleTest. */
    @TestFactory
    Stream<DynamicTest> goldenCases() {
        String text = Golden.text("expansion.cf");
        MainCf cf = MainCfParser.parse(text, "expansion.cf", DEFAULTS);
        Map<String, String> cases = Golden.expectations(text);
        assertEquals(23, cases.size());
        return cases.entrySet().stream().map(c -> DynamicTest.dynamicTest(c.getKey() + " = "
                + cf.definitions().get(c.getKey()).value(), () -> assertEquals(c.getValue(), cf.value(c.getKey()))));
    }

    @Test
    void expansionIsLazySoLaterDefinitionsAndOverridesCount() {
        MainCf cf = parse("smtpd_banner = $myhostname says $greeting\ngreeting = hi\ngreeting = hello\n");
        assertEquals("mx.example.com says hello", cf.value("smtpd_banner"));
        MainCf over = cf.withOverrides(Map.of("myhostname", "edge.example.net"), "environment variable POSTFIX_MYHOSTNAME");
        assertEquals("edge.example.net says hello", over.value("smtpd_banner"));
        assertEquals("mx.example.com says hello", cf.value("smtpd_banner")); // the original is unchanged
        // mydomain's default follows the overridden myhostname, too.
        assertEquals("example.net", over.value("mydomain"));
    }

    @Test
    void undefinedParametersUseTheBuiltInDefaultElseEmpty() {
        MainCf cf = parse("x = [$mail_name][$no_such_parameter][$smtpd_tls_key_file]\nsmtpd_tls_cert_file = /c.pem\n");
        assertEquals("[Postfix][][/c.pem]", cf.value("x"));
        assertEquals("", cf.value("no_such_parameter"));
    }

    @Test
    void loopNamesTheParameters() {
        String message = rejected("smtpd_banner = $a\na = x $b\nb = y $a\n", "smtpd_banner");
        assertEquals("main.cf:3: b: unreasonable macro call nesting: parameter loop a -> b -> a", message);
        assertEquals("main.cf:1: a: unreasonable macro call nesting: parameter loop a -> a",
                rejected("a = ${a}\n", "a"));
    }

    @Test
    void loopThroughAComputedDefault() {
        // myhostname (host "vm", no dot) appends .$mydomain; mydomain refers back to myhostname.
        MainCf cf = MainCfParser.parse("mydomain = x.$myhostname\n", "main.cf", PostfixDefaults.forHostName("vm"));
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> cf.value("myhostname"));
        assertEquals("main.cf:1: mydomain: unreasonable macro call nesting: parameter loop myhostname -> mydomain"
                + " -> myhostname", e.getMessage());
    }

    @Test
    void conditionalTestsTheUnexpandedValue() {
        // postconf: ${b?yes} is "yes" when b = $c and c is empty.
        assertEquals("yes", parse("b = $c\nc =\nt = ${b?yes}\n").value("t"));
    }

    @Test
    void nestingLimitIsPostfixs() {
        // postconf -xh t1: t1 = $p1, p1 = $p2, ..., p99 = end works; one more level fails.
        assertEquals("end", parse(chain(98)).value("t1"));
        assertEquals("main.cf:101: p100: unreasonable macro call nesting: \"end\"", rejected(chain(99), "t1"));
    }

    private static String chain(int n) {
        StringBuilder b = new StringBuilder("t1 = $p1\n");
        for (int i = 1; i <= n; i++) {
            b.append('p').append(i).append(" = $p").append(i + 1).append('\n');
        }
        return b.append('p').append(n + 1).append(" = end\n").toString();
    }

    @Test
    void syntaxErrorsInPostfixWords() {
        assertEquals("main.cf:1: t: truncated macro reference: \"${b\"", rejected("t = ${b", "t"));
        assertEquals("main.cf:1: t: truncated macro reference: \"$(b}\"", rejected("t = $(b}", "t"));
        assertEquals("main.cf:1: t: empty macro name: \"x$ y\"", rejected("t = x$ y", "t"));
        assertEquals("main.cf:1: t: empty macro name: \"${}\"", rejected("t = ${}", "t"));
        assertEquals("main.cf:1: t: attribute name syntax error at: \"...b>>>-c\"", rejected("t = ${b-c}", "t"));
        assertEquals("main.cf:2: t: \":\" expected at: \"...x}>>>junk\"", rejected("b = 1\nt = ${b?{x}junk}", "t"));
        assertEquals("main.cf:2: t: unexpected input at: \"...y}>>>junk\"", rejected("b = 1\nt = ${b?{x}:{y}junk}", "t"));
        assertEquals("main.cf:2: t: unbalanced {} in attribute expression: \"{x\"", rejected("b = 1\nt = $(b?{x)", "t"));
        assertTrue(rejected("t = ${{a} ~ {b}}", "t").contains("expected at: \"...a}>>>~ {b}\""));
        assertEquals("main.cf:1: t: bad operator suffix at: \"...<>>>foo\"", rejected("t = ${{1} <foo {2}}", "t"));
        assertEquals("main.cf:1: t: malformed compatibility level syntax: \"x\"",
                rejected("t = ${{x} <level {2}}", "t"));
        // An error in a branch that is not taken goes unnoticed, as in Postfix.
        assertEquals("", parse("t = ${empty?{${}}}").value("t"));
    }

    @Test
    void exponentialExpansionIsCut() {
        StringBuilder b = new StringBuilder("a0 = xxxxxxxxxx\n");
        for (int i = 1; i <= 30; i++) {
            b.append('a').append(i).append(" = $a").append(i - 1).append(" $a").append(i - 1).append('\n');
        }
        String message = rejected(b.toString(), "a30");
        assertTrue(message.contains("expansion is longer than 1048576 characters")
                || message.contains("more than 100000 macro expansions"), message);
        // Values that end up empty cost no output, only work.
        StringBuilder c = new StringBuilder("e0 = $undefined\n");
        for (int i = 1; i <= 30; i++) {
            c.append('e').append(i).append(" = $e").append(i - 1).append("$e").append(i - 1).append('\n');
        }
        assertTrue(rejected(c.toString(), "e30").contains("more than 100000 macro expansions"));
    }

    @Test
    void expandedValuesAreCachedPerMainCf() {
        MainCf cf = parse("smtpd_banner = $myhostname ESMTP\n");
        assertEquals(cf.value("smtpd_banner"), cf.value("smtpd_banner"));
        assertTrue(cf.value("smtpd_banner") == cf.value("smtpd_banner"));
    }
}
