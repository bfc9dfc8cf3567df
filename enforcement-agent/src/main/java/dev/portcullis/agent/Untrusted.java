package dev.portcullis.agent;

/** Text from the network or the bus as it may appear in logs and replies. */
public final class Untrusted {

    private Untrusted() {
    }

    /**
     * At most {@code max} characters of {@code text}, every one outside printable ASCII
     * replaced by '?', with "..." when cut; null as "(none)". Nothing a client or a record
     * carries reaches a log, a policy reply or a table file raw, whole, or with a line break.
     */
    public static String printable(CharSequence text, int max) {
        if (text == null) {
            return "(none)";
        }
        int n = Math.min(text.length(), max);
        StringBuilder sb = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return text.length() > max ? sb.append("...").toString() : sb.toString();
    }
}
