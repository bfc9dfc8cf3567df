package dev.portcullis.edge.config;

/**
 * Postfix's {@code smtpd_forbid_bare_newline}: what to do with a line in DATA that ends in a
 * bare LF (no CR). {@code no} and {@code normal} (3.7.11: {@code normalize}) accept it as a
 * line end; {@code reject} answers 550 - at once, closing the session, for a command line;
 * at end of data, refusing the message, for message content. Unlike Postfix's {@code no},
 * a bare LF never ends DATA here whatever the setting: only CR LF . CR LF does (SMTP
 * smuggling).
 */
public enum BareNewlinePolicy {
    NO, NORMAL, REJECT;

    /** Postfix also accepts yes (= normal) for this parameter. */
    public static BareNewlinePolicy parse(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "no", "false" -> NO;
            // 3.9 calls it normal; 3.7.11's backport calls it normalize (yes = the same)
            case "normal", "normalize", "yes", "true" -> NORMAL;
            case "reject" -> REJECT;
            default -> throw new IllegalArgumentException("invalid value \"" + value
                    + "\" (expected no, normal, normalize, yes or reject)");
        };
    }
}
