package dev.portcullis.edge.tls;

import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.postfix.PostfixParameters;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The STARTTLS settings from main.cf, checked at start-up (each problem names the parameter,
 * its file and line, and its value).
 *
 * <p>{@code smtpd_tls_security_level}: {@code none} (STARTTLS not offered), {@code may}
 * (offered), {@code encrypt} (offered, and every command but EHLO, HELO, STARTTLS, NOOP,
 * RSET and QUIT refused before TLS with "530 5.7.0 Must issue a STARTTLS command first").
 * Empty, as Postfix: {@code smtpd_enforce_tls = yes} means encrypt, else {@code
 * smtpd_use_tls = yes} means may, else none. At {@code may} the protocols and ciphers come
 * from {@code smtpd_tls_protocols} and {@code smtpd_tls_ciphers}; at {@code encrypt} from
 * {@code smtpd_tls_mandatory_protocols} and {@code smtpd_tls_mandatory_ciphers}; {@code
 * smtpd_tls_exclude_ciphers} applies at both, {@code smtpd_tls_mandatory_exclude_ciphers} at
 * encrypt in addition (Postfix's rules). See {@link TlsProtocols} and {@link TlsCiphers} for
 * what the values map to in the JVM.
 */
public final class TlsConfig {

    private TlsConfig() {
    }

    /** The settings, or null when STARTTLS is not offered. */
    public static EdgeSettings.TlsSettings from(PostfixParameters p) {
        String level = level(p);
        if (level.equals("none")) {
            return null;
        }
        boolean required = level.equals("encrypt");
        String certFile = p.string("smtpd_tls_cert_file");
        String keyFile = p.string("smtpd_tls_key_file");
        if (certFile.isEmpty()) {
            throw p.invalid("smtpd_tls_cert_file", "smtpd_tls_security_level = " + level
                    + " needs a certificate: set smtpd_tls_cert_file (and smtpd_tls_key_file)");
        }
        if (keyFile.isEmpty()) {
            throw p.invalid("smtpd_tls_key_file", "must be set for STARTTLS");
        }
        pem(p, "smtpd_tls_cert_file", "CERTIFICATE");
        pem(p, "smtpd_tls_key_file", "PRIVATE KEY");
        SSLParameters jvm = jvmDefaults();
        String protocolsParameter = required ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols";
        Set<String> protocols;
        try {
            protocols = TlsProtocols.parse(p.list(protocolsParameter), new LinkedHashSet<>(List.of(jvm.getProtocols())));
        } catch (IllegalArgumentException e) {
            throw p.invalid(protocolsParameter, e.getMessage());
        }
        String ciphersParameter = required ? "smtpd_tls_mandatory_ciphers" : "smtpd_tls_ciphers";
        List<String> exclusions = new ArrayList<>(p.list("smtpd_tls_exclude_ciphers"));
        if (required) {
            exclusions.addAll(p.list("smtpd_tls_mandatory_exclude_ciphers"));
        }
        try {
            TlsCiphers.checkGrade(p.string(ciphersParameter));
        } catch (IllegalArgumentException e) {
            throw p.invalid(ciphersParameter, e.getMessage());
        }
        String exclusionParameter = required && !p.list("smtpd_tls_mandatory_exclude_ciphers").isEmpty()
                ? "smtpd_tls_mandatory_exclude_ciphers" : "smtpd_tls_exclude_ciphers";
        List<String> suites;
        try {
            suites = TlsCiphers.suites(exclusions, List.of(jvm.getCipherSuites()));
        } catch (IllegalArgumentException e) {
            throw p.invalid(exclusionParameter, e.getMessage());
        }
        // TLS 1.3 suites ("TLS_AES_...", no "_WITH_") serve only TLS 1.3, the others only older versions.
        boolean tls13 = protocols.contains("TLSv1.3");
        boolean older = protocols.size() > (tls13 ? 1 : 0);
        if (suites.stream().noneMatch(s -> s.contains("_WITH_") ? older : tls13)) {
            throw p.invalid(exclusionParameter, "no cipher suite left for the protocols of " + protocolsParameter
                    + " (" + String.join(", ", protocols) + ")");
        }
        return new EdgeSettings.TlsSettings(Path.of(certFile), Path.of(keyFile), required, protocols, suites);
    }

    /** none, may or encrypt, by Postfix's rules for an empty smtpd_tls_security_level. */
    static String level(PostfixParameters p) {
        if (!p.string("smtpd_tls_security_level").isEmpty()) {
            // Postfix's smtpd knows these three; the client-only levels (dane, verify, ...) are errors.
            return p.enumValueIgnoreCase("smtpd_tls_security_level", "none", "may", "encrypt");
        }
        if (p.bool("smtpd_enforce_tls")) {
            return "encrypt";
        }
        return p.bool("smtpd_use_tls") ? "may" : "none";
    }

    /** Readable and PEM of the expected kind: a wrong file fails here, not at the first STARTTLS. */
    private static void pem(PostfixParameters p, String parameter, String kind) {
        Path file = Path.of(p.string(parameter));
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw p.invalid(parameter, "cannot read file");
        }
        if (!text.contains("-----BEGIN ") || !text.contains(kind + "-----")) {
            throw p.invalid(parameter, "not a PEM file with a " + kind.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static SSLParameters jvmDefaults() {
        try {
            return SSLContext.getDefault().getDefaultSSLParameters();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no default TLS implementation", e);
        }
    }
}
