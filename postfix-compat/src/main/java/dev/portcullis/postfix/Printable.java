package dev.portcullis.postfix;

/**
 * Renders configuration text for error messages: a short, printable prefix only.
 */
public final class Printable {

    /** Longest prefix of a value that an error message quotes. */
    static final int MAX_QUOTED = 60;

    private Printable() {
    }

    /**
     * Returns at most {@link #MAX_QUOTED} characters of {@code text}, with every character
     * outside printable ASCII replaced by '?', and "..." when the text was cut.
     */
    public static String prefix(String text) {
        // Postfix does the same with printable(3) and "%.30s...": a main.cf value, a file
        // line or an environment variable may hold anything, and it ends up in a log.
        int end = Math.min(text.length(), MAX_QUOTED);
        StringBuilder b = new StringBuilder(end + 3);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (end < text.length()) {
            b.append("...");
        }
        return b.toString();
    }

    /** {@link #prefix} in double quotes. */
    public static String quote(String text) {
        return "\"" + prefix(text) + "\"";
    }
}
