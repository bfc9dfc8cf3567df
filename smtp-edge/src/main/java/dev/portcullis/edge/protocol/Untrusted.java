package dev.portcullis.edge.protocol;

/** Text from the network as it may appear in logs, replies and exception messages. */
public final class Untrusted {

    private Untrusted() {
    }

    /**
     * Printable ASCII only (anything else becomes '?'), at most {@code max} characters, with
     * "..." when cut: an attacker's bytes never reach a log or a terminal raw or whole.
     */
    public static String printable(CharSequence text, int max) {
        int n = Math.min(text.length(), max);
        StringBuilder sb = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (text.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }
}
