package dev.portcullis.postfix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PostfixParametersTest {

    private static final PostfixDefaults DEFAULTS = PostfixDefaults.forHostName("mx.example.com");

    private static PostfixParameters params(String mainCf) {
        return MainCfParser.parse(mainCf, "main.cf", DEFAULTS).parameters();
    }

    private static String error(Runnable r) {
        return assertThrows(PostfixConfigException.class, r::run).getMessage();
    }

    @Test
    void defaults() {
        PostfixParameters p = params("");
        assertEquals(10, p.integer("smtpd_soft_error_limit"));
        assertEquals(20, p.integer("smtpd_hard_error_limit"));
        assertEquals(100, p.integer("smtpd_junk_command_limit"));
        assertEquals(Duration.ofSeconds(300), p.time("smtpd_timeout"));
        assertEquals(Duration.ofSeconds(1), p.time("smtpd_error_sleep_time"));
        assertEquals(Duration.ofSeconds(60), p.time("anvil_rate_time_unit"));
        assertEquals(10240000L, p.size("message_size_limit"));
        assertEquals(102400L, p.size("header_size_limit"));
        assertFalse(p.bool("smtpd_helo_required"));
        assertTrue(p.bool("smtpd_delay_reject"));
        assertEquals(List.of("permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination"),
                p.list("smtpd_relay_restrictions"));
        assertEquals("mx.example.com ESMTP Postfix", p.string("smtpd_banner"));
        assertEquals("postfix", p.string("syslog_name"));
        assertEquals(Origin.DEFAULT, p.origin("smtpd_timeout"));
    }

    // Error texts are Postfix 3.7.11 smtpd's (its fatal log line), prefixed with where.
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ten         | main.cf:1: bad numerical configuration: smtpd_soft_error_limit = ten
            0           | main.cf:1: invalid smtpd_soft_error_limit parameter value 0 < 1
            -1          | main.cf:1: invalid smtpd_soft_error_limit parameter value -1 < 1
            0x7         | main.cf:1: bad numerical configuration: smtpd_soft_error_limit = 0x7
            2147483648  | main.cf:1: bad numerical configuration: smtpd_soft_error_limit = 2147483648
            10 20       | main.cf:1: bad numerical configuration: smtpd_soft_error_limit = 10 20
            ''          | 'main.cf:1: bad numerical configuration: smtpd_soft_error_limit = '
            """)
    void badIntegers(String value, String message) {
        assertEquals(message, error(() -> params("smtpd_soft_error_limit = " + value).integer("smtpd_soft_error_limit")));
    }

    @Test
    void integers() {
        // strtol() as Postfix: sign and leading zeros are fine.
        assertEquals(7, params("smtpd_soft_error_limit = +7").integer("smtpd_soft_error_limit"));
        assertEquals(7, params("smtpd_soft_error_limit = 07").integer("smtpd_soft_error_limit"));
        assertEquals(Integer.MAX_VALUE, params("smtpd_soft_error_limit = 2147483647").integer("smtpd_soft_error_limit"));
        assertEquals("main.cf:1: invalid line_length_limit parameter value 99 < 512",
                error(() -> params("line_length_limit = 99").integer("line_length_limit")));
        // Postfix checks no minimum here and takes -1; we refuse negative limits.
        assertEquals("main.cf:1: invalid smtpd_client_connection_count_limit parameter value -1 < 0",
                error(() -> params("smtpd_client_connection_count_limit = -1").integer("smtpd_client_connection_count_limit")));
        assertEquals(0, params("smtpd_client_connection_rate_limit = 0").integer("smtpd_client_connection_rate_limit"));
        assertEquals("main.cf:1: invalid x parameter value 11 > 10", error(() -> params("x = 11").integer("x", 1, 10)));
    }

    @Test
    void sizes() {
        assertEquals(Long.MAX_VALUE, params("message_size_limit = 9223372036854775807").size("message_size_limit"));
        assertEquals("main.cf:1: bad numerical configuration: message_size_limit = 99999999999999999999",
                error(() -> params("message_size_limit = 99999999999999999999").size("message_size_limit")));
        assertEquals("main.cf:1: bad numerical configuration: message_size_limit = 1x",
                error(() -> params("message_size_limit = 1x").size("message_size_limit")));
        // header_size_limit is an int in Postfix.
        assertEquals("main.cf:1: bad numerical configuration: header_size_limit = 2147483648",
                error(() -> params("header_size_limit = 2147483648").size("header_size_limit")));
        assertEquals("main.cf:1: invalid header_size_limit parameter value 0 < 1",
                error(() -> params("header_size_limit = 0").size("header_size_limit")));
    }

    @Test
    void limitsWhereZeroMeansNoLimit() {
        assertEquals(OptionalLong.empty(), params("message_size_limit = 0").limit("message_size_limit"));
        assertEquals(OptionalLong.of(50), params("").limit("smtpd_client_connection_count_limit"));
        assertEquals(OptionalLong.empty(), params("").limit("smtpd_client_message_rate_limit"));
        assertThrows(IllegalArgumentException.class, () -> params("").limit("smtpd_soft_error_limit"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            300    | 300
            300s   | 300
            5m     | 300
            2h     | 7200
            1d     | 86400
            2w     | 1209600
            +5     | 5
            35791393m | 2147483580
            """)
    void times(String value, long seconds) {
        assertEquals(Duration.ofSeconds(seconds), params("smtpd_timeout = " + value).time("smtpd_timeout"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            10x        | main.cf:1: parameter smtpd_timeout: bad time value or unit: 10x
            -1         | main.cf:1: parameter smtpd_timeout: bad time value or unit: -1
            1.5s       | main.cf:1: parameter smtpd_timeout: bad time value or unit: 1.5s
            10 s       | main.cf:1: parameter smtpd_timeout: bad time value or unit: 10 s
            5S         | main.cf:1: parameter smtpd_timeout: bad time value or unit: 5S
            ''         | 'main.cf:1: parameter smtpd_timeout: bad time value or unit: '
            99999999999 | main.cf:1: parameter smtpd_timeout: bad time value or unit: 99999999999
            35791394m  | main.cf:1: parameter smtpd_timeout: bad time value or unit: 35791394m
            10ms       | main.cf:1: parameter smtpd_timeout: bad time value or unit: 10ms (Postfix 3.7 would silently read it as "10m")
            1h30m      | main.cf:1: parameter smtpd_timeout: bad time value or unit: 1h30m (Postfix 3.7 would silently read it as "1h")
            0          | main.cf:1: invalid smtpd_timeout: 0 (min 1)
            0s         | main.cf:1: invalid smtpd_timeout: 0 (min 1)
            """)
    void badTimes(String value, String message) {
        assertEquals(message, error(() -> params("smtpd_timeout = " + value).time("smtpd_timeout")));
    }

    @Test
    void zeroSleepIsFine() {
        assertEquals(Duration.ZERO, params("smtpd_error_sleep_time = 0").time("smtpd_error_sleep_time"));
        assertEquals("main.cf:1: invalid anvil_rate_time_unit: 0 (min 1)",
                error(() -> params("anvil_rate_time_unit = 0").time("anvil_rate_time_unit")));
    }

    @Test
    void booleans() {
        assertTrue(params("smtpd_helo_required = YES").bool("smtpd_helo_required"));
        assertFalse(params("smtpd_helo_required = No").bool("smtpd_helo_required"));
        for (String bad : List.of("true", "1", "on", "maybe")) {
            assertEquals("main.cf:1: bad boolean configuration: smtpd_helo_required = " + bad,
                    error(() -> params("smtpd_helo_required = " + bad).bool("smtpd_helo_required")));
        }
        assertEquals("main.cf:1: bad boolean configuration: smtpd_delay_reject = ",
                error(() -> params("smtpd_delay_reject =").bool("smtpd_delay_reject")));
    }

    @Test
    void lists() {
        PostfixParameters p = params("""
                a = x, y {z w},,v\tu
                b = one {nested {deep} list} two
                c = first #rest is a comment
                d = {unbalanced two
                """);
        assertEquals(List.of("x", "y", "{z w}", "v", "u"), p.list("a"));
        assertEquals(List.of("one", "{nested {deep} list}", "two"), p.list("b"));
        assertEquals(List.of("first"), p.list("c"));
        assertEquals(List.of("{unbalanced two"), p.list("d"));
        assertEquals(List.of(), p.list("undefined"));
        assertEquals(List.of("main.cf:3: c: comment at end of line is not supported: #rest is a comment"),
                p.warnings());
    }

    @Test
    void enums() {
        // mynetworks_style is case-sensitive in Postfix; smtpd_forbid_bare_newline is not.
        assertEquals("host", params("").enumValue("mynetworks_style", "host", "subnet", "class"));
        assertEquals("main.cf:1: bad parameter value: 'mynetworks_style = HOST' (expected host, subnet, class)",
                error(() -> params("mynetworks_style = HOST").enumValue("mynetworks_style", "host", "subnet", "class")));
        assertEquals("reject", params("smtpd_forbid_bare_newline = Reject")
                .enumValueIgnoreCase("smtpd_forbid_bare_newline", "normal", "yes", "no", "reject"));
    }

    @Test
    void valuesAreCheckedAfterExpansion() {
        assertEquals("main.cf:2: bad numerical configuration: smtpd_soft_error_limit = ten",
                error(() -> params("limit = ten\nsmtpd_soft_error_limit = $limit\n").integer("smtpd_soft_error_limit")));
        assertEquals(Duration.ofSeconds(10), params("stress = yes").time("smtpd_timeout"));
    }

    @Test
    void overridesWinAndNameTheirSource() {
        MainCf cf = MainCfParser.parse("smtpd_soft_error_limit = 5\n", "main.cf", DEFAULTS);
        MainCf env = cf.withOverrides(Map.of("smtpd_soft_error_limit", "ten"),
                n -> "environment variable POSTFIX_" + n.toUpperCase(Locale.ROOT));
        assertEquals("environment variable POSTFIX_SMTPD_SOFT_ERROR_LIMIT: bad numerical configuration:"
                + " smtpd_soft_error_limit = ten", error(() -> env.parameters().integer("smtpd_soft_error_limit")));
        assertEquals(Origin.of("environment variable POSTFIX_SMTPD_SOFT_ERROR_LIMIT"),
                env.origin("smtpd_soft_error_limit"));

        MainCf quarkus = cf.withOverrides(Map.of("smtpd_soft_error_limit", "  7 "), "Quarkus configuration");
        assertEquals(7, quarkus.parameters().integer("smtpd_soft_error_limit"));
        // Layers: the last one wins.
        MainCf both = quarkus.withOverrides(Map.of("smtpd_soft_error_limit", "8"), "command line");
        assertEquals(8, both.parameters().integer("smtpd_soft_error_limit"));
        assertEquals(5, cf.parameters().integer("smtpd_soft_error_limit"));
    }

    @Test
    void badOverrides() {
        MainCf cf = MainCf.empty(DEFAULTS);
        assertEquals("Quarkus configuration: bad parameter name \"smtpd timeout\": only letters, digits, '_', '-'"
                + " and '.' are allowed", error(() -> cf.withOverrides(Map.of("smtpd timeout", "1"), "Quarkus configuration")));
        assertEquals("env: smtpd_banner: line break or NUL in value: \"hi?250 fake\"",
                error(() -> cf.withOverrides(Map.of("smtpd_banner", "hi\r250 fake"), "env")));
    }

    @Test
    void invalidNamesTheValueAndWhere() {
        PostfixParameters p = params("x = 1\nsmtpd_relay_restrictions = permit_mynetworks, check_foo\n");
        assertEquals("main.cf:2: smtpd_relay_restrictions = permit_mynetworks, check_foo: unsupported restriction",
                p.invalid("smtpd_relay_restrictions", "unsupported restriction").getMessage());
        assertEquals("default: smtpd_timeout = 300s: too slow", p.invalid("smtpd_timeout", "too slow").getMessage());
    }

    @Test
    void has() {
        PostfixParameters p = params("portcullis_tarpit_max_delay = 30s\n");
        assertTrue(p.has("portcullis_tarpit_max_delay"));
        assertTrue(p.has("smtpd_timeout"));
        assertFalse(p.has("portcullis_tarpit_escalation"));
    }

    @Test
    void networkListsFromParameters() throws Exception {
        PostfixParameters p = params("");
        NetworkList mynetworks = p.networkList("mynetworks");
        assertTrue(mynetworks.matches(NetworkListTest.address("127.0.0.1")));
        assertTrue(mynetworks.matches(NetworkListTest.address("::1")));
        assertFalse(mynetworks.matches(NetworkListTest.address("192.0.2.1")));
        // smtpd_client_event_limit_exceptions = ${smtpd_client_connection_limit_exceptions:$mynetworks}
        assertTrue(p.networkList("smtpd_client_event_limit_exceptions").matches(NetworkListTest.address("127.0.0.9")));
        // ${x:y} is y when x is empty, else EMPTY: setting the old parameter name empties the
        // exceptions (postconf -xh agrees; see PostconfOracleTest).
        PostfixParameters legacy = params("smtpd_client_connection_limit_exceptions = 192.0.2.0/24");
        NetworkList exceptions = legacy.networkList("smtpd_client_event_limit_exceptions");
        assertTrue(exceptions.isEmpty());
        assertFalse(exceptions.matches(NetworkListTest.address("192.0.2.1")));
        assertEquals("main.cf:1: mynetworks: non-null host address bits in \"10.1.0.0/8\", perhaps you should use"
                + " \"10.0.0.0/8\" instead", error(() -> params("mynetworks = 10.1.0.0/8").networkList("mynetworks")));
    }

    @Test
    void mynetworksStyleOtherThanHostNeedsExplicitMynetworks() throws Exception {
        assertEquals("main.cf:1: mynetworks_style = subnet makes Postfix compute mynetworks from this host's network"
                        + " interfaces, which Portcullis does not do: set mynetworks explicitly",
                error(() -> params("mynetworks_style = subnet").networkList("mynetworks")));
        assertEquals("main.cf:1: unknown mynetworks mask style value \"HOST\" in \"HOST\"",
                error(() -> params("mynetworks_style = HOST").string("mynetworks")));
        assertTrue(params("mynetworks_style = subnet\nmynetworks = 10.0.0.0/8").networkList("mynetworks")
                .matches(NetworkListTest.address("10.2.3.4")));
    }

    @Test
    void olderCompatibilityLevelsGiveOlderDefaults() {
        // As postconf -xh with compatibility_level = 1 and 0 (see PostconfOracleTest).
        PostfixParameters level1 = params("compatibility_level = 1\nmydestination = mx.example.com, example.com");
        assertTrue(level1.domainList("relay_domains").matches("example.com")); // relay_domains = $mydestination
        assertEquals("subnet", level1.string("mynetworks_style"));
        assertEquals(3, level1.list("smtpd_relay_restrictions").size());
        assertEquals(List.of(), params("compatibility_level = 0").list("smtpd_relay_restrictions"));
        assertTrue(params("").domainList("relay_domains").isEmpty());
        assertEquals("main.cf:1: malformed compatibility level syntax: \"three\" (needed for the default of relay_domains)",
                error(() -> params("compatibility_level = three").domainList("relay_domains")));
    }

    @Test
    void domainListStyleFollowsTheParameter() {
        PostfixParameters p = params("relay_domains = example.com\nmydestination = example.org\nx = example.net\n");
        assertEquals(DomainList.Style.PARENT, p.domainList("relay_domains").style());
        assertTrue(p.domainList("relay_domains").matches("sub.example.com"));
        assertEquals(DomainList.Style.EXACT, p.domainList("mydestination").style());
        assertFalse(p.domainList("mydestination").matches("sub.example.org"));
        assertEquals(DomainList.Style.DOT_PREFIX, p.domainList("x").style());
        PostfixParameters notParent = params("parent_domain_matches_subdomains = debug_peer_list\n"
                + "relay_domains = example.com, .example.com");
        DomainList relay = notParent.domainList("relay_domains");
        assertEquals(DomainList.Style.DOT_PREFIX, relay.style());
        assertTrue(relay.matches("sub.example.com"));
        assertTrue(relay.matches("example.com"));
    }
}
