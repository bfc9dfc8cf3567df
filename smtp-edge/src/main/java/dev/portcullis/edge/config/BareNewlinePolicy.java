package dev.portcullis.edge.config;

/**
 * Postfix's {@code smtpd_forbid_bare_newline}: what to do with a line in DATA that ends in a
 * bare LF (no CR). {@code no} accepts it, {@code normal} rejects the message (and, as
 * Postfix does, a bare LF in a command line is answered as an error), {@code reject} does the
 * same for every line. Either way a bare LF never ends DATA: only CR LF . CR LF does.
 */
public enum BareNewlinePolicy {
    NO, NORMAL, REJECT;

    /** Postfix also accepts yes (= normal) for this parameter. */
    public static BareNewlinePolicy parse(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "no", "false" -> NO;
            case "normal", "yes", "true" -> NORMAL;
            case "reject" -> REJECT;
            default -> throw new IllegalArgumentException("invalid value \"" + value
                    + "\" (expected no, normal, yes or reject)");
        };
    }
}
