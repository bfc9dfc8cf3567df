package dev.portcullis.ban.config;

/**
 * A configuration file the service cannot use, with where and what: {@code file:line: problem}.
 * Thrown at start-up (the service does not start) and on reload (the previous contents stay in
 * force and the failure is logged and counted).
 */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    /** {@code file:line: problem}. */
    public static ConfigException at(String file, int line, String problem) {
        return new ConfigException(file + ":" + line + ": " + problem);
    }

    /** Untrusted or file text cut to a short printable prefix, for messages. */
    public static String quote(String text) {
        if (text == null) {
            return "\"\"";
        }
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            if (b.length() > 80) {
                b.append("...");
                break;
            }
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.append('"').toString();
    }
}
