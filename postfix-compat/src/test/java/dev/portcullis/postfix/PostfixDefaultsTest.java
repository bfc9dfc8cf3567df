package dev.portcullis.postfix;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PostfixDefaultsTest {

    private static MainCf on(String host, String mainCf) {
        return MainCfParser.parse(mainCf, "main.cf", PostfixDefaults.forHostName(host));
    }

    @Test
    void everyParameterTheEdgeUsesHasADefault() {
        List<String> used = List.of("myhostname", "mydomain", "myorigin", "mydestination", "mynetworks",
                "mynetworks_style", "relay_domains", "inet_interfaces", "smtpd_banner", "mail_name", "syslog_name",
                "maillog_file", "smtpd_error_sleep_time", "smtpd_soft_error_limit", "smtpd_hard_error_limit",
                "smtpd_junk_command_limit", "line_length_limit", "smtpd_timeout", "header_size_limit",
                "message_size_limit", "smtpd_recipient_limit", "default_process_limit",
                "smtpd_client_connection_count_limit", "smtpd_client_connection_rate_limit",
                "smtpd_client_message_rate_limit", "smtpd_client_recipient_rate_limit",
                "smtpd_client_new_tls_session_rate_limit", "anvil_rate_time_unit",
                "smtpd_client_event_limit_exceptions", "smtpd_helo_required", "smtpd_delay_reject",
                "smtpd_forbid_bare_newline", "smtpd_forbid_bare_newline_exclusions", "smtpd_relay_restrictions",
                "smtpd_proxy_timeout", "smtpd_tls_security_level", "smtpd_tls_cert_file", "smtpd_tls_key_file",
                "smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtpd_tls_ciphers",
                "parent_domain_matches_subdomains", "strict_rfc821_envelopes", "smtpd_reject_unlisted_recipient",
                "allow_percent_hack", "swap_bangpath", "resolve_dequoted_address", "resolve_null_domain",
                "disable_vrfy_command", "compatibility_level");
        assertTrue(PostfixDefaults.standard().names().containsAll(used));
        assertEquals(Optional.of("${stress?{10}:{300}}s"), PostfixDefaults.standard().defaultValue("smtpd_timeout"));
        assertEquals(Optional.empty(), PostfixDefaults.standard().defaultValue("mynetworks")); // computed
        assertEquals(Optional.empty(), PostfixDefaults.standard().defaultValue("smtpd_client_connection_limit_exceptions"));
    }

    // Each as postconf -xh on Postfix 3.7.11 with the same main.cf (host name "vm").
    @Test
    void hostAndDomainNames() {
        assertEquals("vm.localdomain", on("vm", "").value("myhostname"));
        assertEquals("localdomain", on("vm", "").value("mydomain"));
        assertEquals("vm.localdomain, localhost.localdomain, localhost", on("vm", "").value("mydestination"));
        assertEquals("vm.example.org", on("vm", "mydomain = example.org").value("myhostname"));
        assertEquals("example.com", on("vm", "myhostname = a.example.com").value("mydomain"));
        assertEquals("com", on("vm", "myhostname = example.com").value("mydomain"));
        assertEquals("localdomain", on("vm", "myhostname = host").value("mydomain"));
        assertEquals("b.example.com", on("vm", "myhostname = a.b.example.com").value("mydomain"));
        assertEquals("mail.example.com", on("mail.example.com", "").value("myhostname"));
        assertEquals("example.com", on("mail.example.com", "").value("mydomain"));
    }

    @Test
    void localHostNameIsTheKernelsName() {
        assertTrue(!PostfixDefaults.localHostName().isBlank());
        assertEquals(PostfixDefaults.localHostName(), PostfixDefaults.standard().hostName());
    }

    @Test
    void unusableHostNames() {
        assertThrows(IllegalArgumentException.class, () -> PostfixDefaults.forHostName(""));
        assertThrows(IllegalArgumentException.class, () -> PostfixDefaults.forHostName("a b"));
    }

    @Test
    void compatibilityLevels() {
        assertTrue(CompatibilityLevel.parse("3.10") > CompatibilityLevel.parse("3.9"));
        assertTrue(CompatibilityLevel.parse("3.6") > CompatibilityLevel.parse("2"));
        assertEquals(CompatibilityLevel.parse("2"), CompatibilityLevel.parse("2.0.0"));
        assertEquals(-1, CompatibilityLevel.parse("3.6.1.2"));
        assertEquals(-1, CompatibilityLevel.parse("3.x"));
        assertEquals(-1, CompatibilityLevel.parse("3.1024"));
        assertEquals(-1, CompatibilityLevel.parse(""));
    }
}
