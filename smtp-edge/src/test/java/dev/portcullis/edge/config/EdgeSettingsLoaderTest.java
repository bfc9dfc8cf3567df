package dev.portcullis.edge.config;

import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.PostfixConfigException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EdgeSettingsLoaderTest {

    private static EdgeSettings load(String text) {
        return EdgeSettingsLoader.from(MainCf.parse(text, "/etc/portcullis/main.cf").parameters(), "127.0.0.1:25", "e1");
    }

    @Test
    void postfixDefaultsWhenNothingIsSet() throws Exception {
        EdgeSettings s = load("myhostname = mx.example.com\n");
        assertEquals(Duration.ofSeconds(1), s.errorSleepTime());
        assertEquals(10, s.softErrorLimit());
        assertEquals(20, s.hardErrorLimit());
        assertEquals(100, s.junkCommandLimit());
        assertEquals(10_240_000, s.messageSizeLimit());
        assertEquals(Duration.ofSeconds(300), s.smtpdTimeout());
        assertEquals(50, s.anvil().connectionCountLimit());
        assertEquals("mx.example.com ESMTP Postfix", s.smtpdBanner());
        assertTrue(s.mynetworks().test(InetAddress.getByName("127.0.0.5")));
        assertFalse(s.mynetworks().test(InetAddress.getByName("192.0.2.1")));
        assertEquals(BareNewlinePolicy.NORMAL, s.bareNewline());
        assertFalse(s.tarpitEscalation());
    }

    @Test
    void expansionAndContinuationLines() {
        EdgeSettings s = load("myhostname = mx.example.com\nsmtpd_banner = $myhostname\n  Portcullis\n"
                + "relay_domains = example.net,\n    example.org\n");
        assertEquals("mx.example.com Portcullis", s.smtpdBanner().replaceAll("\\s+", " "));
        assertTrue(s.relayDomain().test("example.org"));
        assertTrue(s.relayDomain().test("sub.example.net"), "relay_domains matches subdomains by default");
    }

    @Test
    void badValuesNameFileLineParameterAndValue() {
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> load("myhostname = mx.example.com\n# comment\nsmtpd_soft_error_limit = ten\n"));
        assertTrue(e.getMessage().contains("/etc/portcullis/main.cf:3"), e.getMessage());
        assertTrue(e.getMessage().contains("smtpd_soft_error_limit"), e.getMessage());
        assertTrue(e.getMessage().contains("ten"), e.getMessage());

        e = assertThrows(PostfixConfigException.class,
                () -> load("smtpd_relay_restrictions = permit_mynetworks, check_client_access hash:/x\n"));
        assertTrue(e.getMessage().contains("check_client_access"), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> load("smtpd_forbid_bare_newline = maybe\n"));
        assertTrue(e.getMessage().contains("smtpd_forbid_bare_newline"), e.getMessage());

        // Postfix's default smtpd_tls_key_file is $smtpd_tls_cert_file: one PEM with both.
        e = assertThrows(PostfixConfigException.class,
                () -> load("smtpd_tls_cert_file = /nonexistent.pem\nsmtpd_tls_security_level = may\n"));
        assertTrue(e.getMessage().contains("main.cf:1: smtpd_tls_cert_file = /nonexistent.pem: cannot read file"),
                e.getMessage());
    }

    @Test
    void escalationIsOptIn() {
        EdgeSettings s = load("portcullis_tarpit_escalation = yes\nportcullis_tarpit_max_delay = 10s\n");
        assertTrue(s.tarpitEscalation());
        assertEquals(Duration.ofSeconds(10), s.tarpitMaxDelay());
    }
}
