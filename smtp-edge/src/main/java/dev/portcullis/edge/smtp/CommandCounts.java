package dev.portcullis.edge.smtp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Per-command counters of one session, rendered as Postfix's "disconnect from" line does:
 * {@code ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4} - a command appears as {@code ok} when
 * every use succeeded, else {@code ok/all}; in Postfix's command-table order.
 */
final class CommandCounts {

    private static final String[] ORDER = {"helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "bdat",
            "rset", "noop", "vrfy", "etrn", "quit", "unknown"};

    private final Map<String, int[]> counts = new LinkedHashMap<>();

    void count(String verb, boolean ok) {
        String key = verb.toLowerCase(Locale.ROOT);
        int[] c = counts.computeIfAbsent(known(key) ? key : "unknown", k -> new int[2]);
        c[1]++;
        if (ok) {
            c[0]++;
        }
    }

    private static boolean known(String key) {
        for (String k : ORDER) {
            if (k.equals(key) && !k.equals("unknown")) {
                return true;
            }
        }
        return false;
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        int okAll = 0;
        int all = 0;
        for (String k : ORDER) {
            int[] c = counts.get(k);
            if (c == null) {
                continue;
            }
            okAll += c[0];
            all += c[1];
            sb.append(' ').append(k).append('=').append(c[0]);
            if (c[0] != c[1]) {
                sb.append('/').append(c[1]);
            }
        }
        sb.append(" commands=").append(okAll);
        if (okAll != all) {
            sb.append('/').append(all);
        }
        return sb.toString();
    }

    Map<String, Integer> asMap() {
        Map<String, Integer> m = new LinkedHashMap<>();
        counts.forEach((k, c) -> {
            m.put(k + ".ok", c[0]);
            m.put(k + ".all", c[1]);
        });
        return m;
    }
}
