package dev.portcullis.edge.protocol;

/** Scanning of SMTP paths ({@code <local@domain>}) that respects quoted local parts. */
public final class Paths {

    private Paths() {
    }

    /**
     * The index of the '>' that closes the path whose '<' is at {@code open}, skipping quoted
     * strings and backslash escapes inside them; -1 when there is none, or when another
     * unquoted '<' comes first.
     */
    public static int closingBracket(String s, int open) {
        boolean quoted = false;
        for (int i = open + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                return i;
            } else if (c == '<' && !quoted) {
                return -1;
            }
        }
        return -1;
    }
}
