package dev.portcullis.edge.tls;

import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.PostfixConfigException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS and PROXY protocol settings as main.cf gives them: Postfix's syntax and levels,
 * and a start-up error naming file, line, parameter and problem for every bad value.
 */
class TlsConfigTest {

    private static final Set<String> JVM = Set.of("TLSv1.3", "TLSv1.2");

    private static String cert() {
        return resource("/tls/cert.pem");
    }

    private static String key() {
        return resource("/tls/key.pem");
    }

    private static String resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(TlsConfigTest.class.getResource(name)).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static EdgeSettings load(String text) {
        return EdgeSettingsLoader.from(MainCf.parse(text, "/etc/portcullis/main.cf").parameters(), "127.0.0.1:25", "e1");
    }

    private static String keys() {
        return "smtpd_tls_cert_file = " + cert() + "\nsmtpd_tls_key_file = " + key() + "\n";
    }

    private static void fails(String mainCf, String... expected) {
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> load(mainCf));
        for (String part : expected) {
            assertTrue(e.getMessage().contains(part), "\"" + part + "\" in: " + e.getMessage());
        }
    }

    @Test
    void protocolListsInPostfixSyntax() {
        assertEquals(Set.of("TLSv1.2", "TLSv1.3"), TlsProtocols.parse(List.of(">=TLSv1"), JVM));
        assertEquals(Set.of("TLSv1.3"), TlsProtocols.parse(List.of(">=TLSv1.3"), JVM));
        assertEquals(Set.of("TLSv1.2"), TlsProtocols.parse(List.of("!SSLv2", "!SSLv3", "!TLSv1", "!TLSv1.1",
                "!TLSv1.3"), JVM));
        assertEquals(Set.of("TLSv1.2"), TlsProtocols.parse(List.of("TLSv1.2"), JVM));
        assertEquals(Set.of("TLSv1.2"), TlsProtocols.parse(List.of(">=TLSv1:<=TLSv1.2"), JVM));
        assertEquals(Set.of("TLSv1.2", "TLSv1.3"), TlsProtocols.parse(List.of(), JVM), "empty = all");
        assertEquals(Set.of("TLSv1.1", "TLSv1.2"), TlsProtocols.parse(List.of("<=TLSv1.2"),
                Set.of("TLSv1.1", "TLSv1.2", "TLSv1.3")), "a JVM that allows 1.1 gets it");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsProtocols.parse(List.of("<=TLSv1.1"), JVM));
        assertTrue(e.getMessage().contains("no TLS protocol left that this JVM offers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TlsProtocols.parse(List.of("TLSv9"), JVM));
        assertTrue(e.getMessage().contains("unknown TLS protocol \"TLSv9\""), e.getMessage());
    }

    @Test
    void cipherExclusionsNameOpenSslCategoriesOrIanaSuites() {
        List<String> jvm = List.of("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
        assertEquals(jvm, TlsCiphers.suites(List.of(), jvm));
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
                TlsCiphers.suites(List.of("kRSA", "SHA1:SHA256"), jvm), "TLS 1.3 suites untouched by categories");
        assertEquals(List.of("TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
                TlsCiphers.suites(List.of("AESGCM", "TLS_AES_256_GCM_SHA384"), jvm));
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_RSA_WITH_AES_128_GCM_SHA256"), TlsCiphers.suites(List.of("EDH", "EECDH"), jvm));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsCiphers.suites(List.of("ECDHE-RSA-AES128-SHA"), jvm));
        assertTrue(e.getMessage().contains("unknown cipher or cipher type \"ECDHE-RSA-AES128-SHA\""), e.getMessage());
    }

    @Test
    void levelsAsPostfix() {
        assertNull(load(keys()).tls(), "empty level, smtpd_use_tls = no: none");
        assertNull(load(keys() + "smtpd_tls_security_level = none\n").tls());
        assertFalse(load(keys() + "smtpd_use_tls = yes\n").tls().required());
        assertTrue(load(keys() + "smtpd_enforce_tls = yes\n").tls().required());
        assertFalse(load(keys() + "smtpd_tls_security_level = MAY\nsmtpd_enforce_tls = yes\n").tls().required(),
                "the level wins over the legacy booleans");
        EdgeSettings.TlsSettings t = load(keys() + "smtpd_tls_security_level = encrypt\n"
                + "smtpd_tls_protocols = >=TLSv1.3\nsmtpd_tls_mandatory_protocols = TLSv1.2\n").tls();
        assertEquals(Set.of("TLSv1.2"), t.protocols());
    }

    @Test
    void badTlsValuesStopTheStartNamingFileLineAndParameter() throws IOException {
        fails("smtpd_tls_security_level = may\n", "smtpd_tls_cert_file", "needs a certificate");
        fails(keys() + "smtpd_tls_security_level = verify\n", "main.cf:3", "smtpd_tls_security_level", "verify");
        fails(keys() + "smtpd_tls_security_level = may\nsmtpd_tls_protocols = >=TLSv1, TLSv9\n",
                "main.cf:4", "smtpd_tls_protocols", "unknown TLS protocol \"TLSv9\"");
        fails(keys() + "smtpd_tls_security_level = encrypt\nsmtpd_tls_mandatory_protocols = <=TLSv1.1\n",
                "main.cf:4", "smtpd_tls_mandatory_protocols", "no TLS protocol left");
        fails(keys() + "smtpd_tls_security_level = may\nsmtpd_tls_ciphers = null\n",
                "main.cf:4", "smtpd_tls_ciphers", "no encryption");
        fails(keys() + "smtpd_tls_security_level = may\nsmtpd_tls_ciphers = strong\n",
                "smtpd_tls_ciphers", "unknown cipher grade");
        fails(keys() + "smtpd_tls_security_level = may\nsmtpd_tls_exclude_ciphers = aNULL, FOO\n",
                "main.cf:4", "smtpd_tls_exclude_ciphers", "unknown cipher or cipher type \"FOO\"");
        fails(keys() + "smtpd_tls_security_level = encrypt\nsmtpd_tls_mandatory_exclude_ciphers = AES, CHACHA20\n"
                + "smtpd_tls_mandatory_protocols = TLSv1.2\n", "smtpd_tls_mandatory_exclude_ciphers",
                "no cipher suite left for the protocols of smtpd_tls_mandatory_protocols (TLSv1.2)");
        Path notPem = Files.createTempFile("not", ".pem");
        try {
            Files.writeString(notPem, "hello\n");
            fails("smtpd_tls_cert_file = " + notPem + "\nsmtpd_tls_key_file = " + key()
                    + "\nsmtpd_tls_security_level = may\n", "main.cf:1", "smtpd_tls_cert_file", "not a PEM file");
        } finally {
            Files.delete(notPem);
        }
    }

    @Test
    void upstreamProxySettings() throws Exception {
        assertNull(load("").upstreamProxy());
        EdgeSettings s = load("smtpd_upstream_proxy_protocol = haproxy\n"
                + "portcullis_upstream_proxy_networks = 10.0.0.0/8, [fd00::]/8\n");
        assertEquals(Duration.ofSeconds(5), s.upstreamProxy().timeout(), "Postfix's default");
        assertTrue(s.upstreamProxy().trusted().test(InetAddress.getByName("10.1.2.3")));
        assertTrue(s.upstreamProxy().trusted().test(InetAddress.getByName("fd00::1")));
        assertFalse(s.upstreamProxy().trusted().test(InetAddress.getByName("192.0.2.1")));
        fails("smtpd_upstream_proxy_protocol = haproxy\n", "main.cf:1", "smtpd_upstream_proxy_protocol",
                "set portcullis_upstream_proxy_networks");
        fails("smtpd_upstream_proxy_protocol = haproxy\nportcullis_upstream_proxy_networks =\n",
                "portcullis_upstream_proxy_networks");
        fails("smtpd_upstream_proxy_protocol = nginx\nportcullis_upstream_proxy_networks = 10.0.0.0/8\n",
                "main.cf:1", "smtpd_upstream_proxy_protocol", "nginx");
        fails("smtpd_upstream_proxy_protocol = haproxy\nportcullis_upstream_proxy_networks = 10.0.0.0/33\n",
                "portcullis_upstream_proxy_networks");
        fails("smtpd_upstream_proxy_protocol = haproxy\nportcullis_upstream_proxy_networks = 10.0.0.0/8\n"
                + "smtpd_upstream_proxy_timeout = 0\n", "smtpd_upstream_proxy_timeout");
    }
}
