package dev.portcullis.edge.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Postfix's cipher grades ({@code smtpd_tls_ciphers}, {@code smtpd_tls_mandatory_ciphers})
 * and exclusions ({@code smtpd_tls_exclude_ciphers}, {@code
 * smtpd_tls_mandatory_exclude_ciphers}) mapped onto the JVM's cipher suites.
 *
 * <p>Grades: Postfix hands OpenSSL "HIGH" (high) or "HIGH:MEDIUM" (medium). Every suite the
 * JDK enables by default is in OpenSSL's HIGH class (AES-128 and up, ChaCha20; the JDK
 * enables no 3DES, RC4, DES, SEED, IDEA, export or NULL suite), so {@code high} and {@code
 * medium} both give the JVM's default suites, in its order of preference. {@code low} and
 * {@code export} (obsolete in Postfix) give the same: the JDK has nothing weaker to add.
 * {@code null} (no encryption at all) is refused: the JDK disables NULL suites, and an
 * SMTP server that offers TLS without encryption protects nothing.
 *
 * <p>Exclusions are OpenSSL cipher names' building blocks, matched against the IANA suite
 * names: aNULL, eNULL/NULL, RC4, DES, 3DES, MD5, SHA1/SHA, SHA256, SHA384, AES, AES128,
 * AES256, AESGCM, AESCCM, CHACHA20, CAMELLIA, ARIA, SEED, IDEA, RSA, kRSA, aRSA, DHE/EDH/kEDH/
 * kDHE, ECDHE/EECDH/kEECDH/kECDHE, kECDH, ECDSA/aECDSA, DSS/aDSS, PSK, SRP; or one suite's IANA
 * name ({@code TLS_RSA_WITH_AES_128_CBC_SHA}). As with OpenSSL, the category words apply to
 * TLS 1.2 and older suites only: TLS 1.3's five suites are configured apart from the cipher
 * list there, and here they go only by their full name. An unknown word is an error, as is an
 * exclusion that leaves no suite.
 */
public final class TlsCiphers {

    private static final Map<String, Predicate<String>> CATEGORIES = categories();

    private TlsCiphers() {
    }

    /**
     * Checks a grade as main.cf spells it (case does not matter).
     *
     * @throws IllegalArgumentException for {@code null} and unknown grades
     */
    public static void checkGrade(String grade) {
        switch (grade.toLowerCase(Locale.ROOT)) {
            case "high", "medium", "low", "export" -> { }
            case "null" -> throw new IllegalArgumentException(
                    "null ciphers offer no encryption and are not supported (the JDK disables them)");
            default -> throw new IllegalArgumentException("unknown cipher grade \"" + grade
                    + "\" (high, medium, low, export or null)");
        }
    }

    /**
     * The suites of a grade checked by {@link #checkGrade} (all grades give the same here).
     *
     * @param exclusions the exclusion items (already split on commas and spaces; colons split here)
     * @param available  the JVM's default suites, in its order of preference
     * @throws IllegalArgumentException for an unknown word, or when nothing is left
     */
    public static List<String> suites(List<String> exclusions, List<String> available) {
        List<Predicate<String>> out = new ArrayList<>();
        for (String raw : exclusions) {
            for (String word : raw.split(":")) {
                if (!word.isEmpty()) {
                    out.add(exclusion(word));
                }
            }
        }
        List<String> result = new ArrayList<>();
        for (String suite : available) {
            if (out.stream().noneMatch(p -> p.test(suite))) {
                result.add(suite);
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("the exclusions leave no cipher suite");
        }
        return result;
    }

    private static Predicate<String> exclusion(String word) {
        if (word.startsWith("TLS_") || word.startsWith("SSL_")) {
            return word::equals;
        }
        Predicate<String> category = CATEGORIES.get(word);
        if (category == null) {
            throw new IllegalArgumentException("unknown cipher or cipher type \"" + word + "\"");
        }
        // TLS 1.3 suites have no "_WITH_" and are not named by OpenSSL's cipher list words.
        return s -> s.contains("_WITH_") && category.test(s);
    }

    private static boolean aead(String suite) {
        return suite.contains("_GCM_") || suite.contains("_CCM") || suite.contains("_CHACHA20_");
    }

    private static Map<String, Predicate<String>> categories() {
        Predicate<String> dhe = s -> s.startsWith("TLS_DHE_") || s.startsWith("SSL_DHE_");
        Predicate<String> ecdhe = s -> s.startsWith("TLS_ECDHE_");
        Predicate<String> ecdsa = s -> s.contains("_ECDSA_");
        Predicate<String> dss = s -> s.contains("_DSS_");
        Predicate<String> sha1 = s -> s.endsWith("_SHA");
        Predicate<String> nul = s -> s.contains("_WITH_NULL_");
        return Map.ofEntries(
                Map.entry("aNULL", s -> s.contains("_anon_")),
                Map.entry("eNULL", nul),
                Map.entry("NULL", nul),
                Map.entry("RC4", s -> s.contains("_RC4_")),
                Map.entry("DES", s -> s.contains("_DES_") || s.contains("_DES40_")),
                Map.entry("3DES", s -> s.contains("_3DES_")),
                Map.entry("MD5", s -> s.endsWith("_MD5")),
                Map.entry("SHA1", sha1),
                Map.entry("SHA", sha1),
                // As OpenSSL: the MAC, so AEAD suites (GCM, CCM, ChaCha20) are not SHA256/SHA384 ones.
                Map.entry("SHA256", s -> s.endsWith("_SHA256") && !aead(s)),
                Map.entry("SHA384", s -> s.endsWith("_SHA384") && !aead(s)),
                Map.entry("AES", s -> s.contains("_AES_")),
                Map.entry("AES128", s -> s.contains("_AES_128_")),
                Map.entry("AES256", s -> s.contains("_AES_256_")),
                Map.entry("AESGCM", s -> s.contains("_AES_") && s.contains("_GCM_")),
                Map.entry("AESCCM", s -> s.contains("_AES_") && s.contains("_CCM")),
                Map.entry("CHACHA20", s -> s.contains("_CHACHA20_")),
                Map.entry("CAMELLIA", s -> s.contains("_CAMELLIA_")),
                Map.entry("ARIA", s -> s.contains("_ARIA_")),
                Map.entry("SEED", s -> s.contains("_SEED_")),
                Map.entry("IDEA", s -> s.contains("_IDEA_")),
                Map.entry("RSA", s -> s.contains("_RSA_")),
                Map.entry("kRSA", s -> s.startsWith("TLS_RSA_") || s.startsWith("SSL_RSA_")),
                Map.entry("aRSA", s -> s.contains("_RSA_WITH_") || s.startsWith("TLS_RSA_")),
                Map.entry("DHE", dhe),
                Map.entry("EDH", dhe),
                Map.entry("kEDH", dhe),
                Map.entry("kDHE", dhe),
                Map.entry("ECDHE", ecdhe),
                Map.entry("EECDH", ecdhe),
                Map.entry("kEECDH", ecdhe),
                Map.entry("kECDHE", ecdhe),
                Map.entry("kECDH", s -> s.startsWith("TLS_ECDH_")),
                Map.entry("ECDSA", ecdsa),
                Map.entry("aECDSA", ecdsa),
                Map.entry("DSS", dss),
                Map.entry("aDSS", dss),
                Map.entry("PSK", s -> s.contains("PSK_")),
                Map.entry("SRP", s -> s.contains("_SRP_")));
    }
}
