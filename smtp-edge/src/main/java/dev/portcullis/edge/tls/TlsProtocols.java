package dev.portcullis.edge.tls;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Postfix's TLS protocol lists ({@code smtpd_tls_protocols}, {@code
 * smtpd_tls_mandatory_protocols}) as the JSSE protocol names to enable.
 *
 * <p>Syntax, as Postfix 3.6+ (tls_protocol_mask()): items separated by commas, whitespace or
 * colons; {@code >=TLSv1.2} and {@code <=TLSv1.3} bound the range, {@code !SSLv3} excludes
 * one version, a bare name includes it (when any bare name is given, only those are in).
 * Names: SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3; anything else is an error (Postfix
 * would log "Invalid TLS protocol list" and disable TLS; we refuse to start). An empty list
 * means every version.
 *
 * <p>What JSSE can do: SSLv2 and SSLv3 do not exist there; TLSv1 and TLSv1.1 only when the
 * JVM's {@code jdk.tls.disabledAlgorithms} allows them (not by default since JDK 16). Those
 * are dropped from the result; a list that leaves no version the JVM offers is an error.
 */
public final class TlsProtocols {

    /** Postfix's protocol names, oldest first. */
    static final List<String> NAMES = List.of("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    private TlsProtocols() {
    }

    /**
     * @param items     the list's items as main.cf gives them (already split on commas and spaces)
     * @param available the protocols this JVM enables by default, e.g. [TLSv1.3, TLSv1.2]
     * @return the protocols to enable, oldest first
     * @throws IllegalArgumentException naming the bad item, or when nothing is left
     */
    public static Set<String> parse(List<String> items, Set<String> available) {
        int min = 0;
        int max = NAMES.size() - 1;
        Set<Integer> included = new LinkedHashSet<>();
        Set<Integer> excluded = new LinkedHashSet<>();
        for (String raw : items) {
            for (String item : raw.split(":")) {
                if (item.isEmpty()) {
                    continue;
                }
                if (item.startsWith(">=")) {
                    min = Math.max(min, index(item.substring(2), item));
                } else if (item.startsWith("<=")) {
                    max = Math.min(max, index(item.substring(2), item));
                } else if (item.startsWith("!")) {
                    excluded.add(index(item.substring(1), item));
                } else {
                    included.add(index(item, item));
                }
            }
        }
        Set<String> result = new LinkedHashSet<>();
        List<String> unusable = new ArrayList<>();
        for (int i = min; i <= max; i++) {
            if ((included.isEmpty() || included.contains(i)) && !excluded.contains(i)) {
                if (available.contains(NAMES.get(i))) {
                    result.add(NAMES.get(i));
                } else {
                    unusable.add(NAMES.get(i));
                }
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("no TLS protocol left that this JVM offers (it offers "
                    + String.join(", ", available) + (unusable.isEmpty() ? "" : "; not " + String.join(", ", unusable))
                    + ")");
        }
        return result;
    }

    private static int index(String name, String item) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown TLS protocol \"" + item + "\" (known: "
                    + String.join(", ", NAMES) + ")");
        }
        return i;
    }
}
