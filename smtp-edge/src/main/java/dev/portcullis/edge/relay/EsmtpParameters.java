package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.Paths;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the argument of MAIL FROM / RCPT TO for a next hop: keeps the path as the client
 * sent it and drops each ESMTP parameter whose service extension the next hop did not
 * announce in its EHLO reply (RFC 5321 4.1.2: a client "MUST NOT" use a parameter the
 * server did not advertise).
 *
 * <p>Parameters map to the EHLO keyword that enables them: SIZE to SIZE (RFC 1870), BODY to
 * 8BITMIME (RFC 6152; BODY=BINARYMIME to BINARYMIME), SMTPUTF8 to SMTPUTF8 (RFC 6531),
 * RET/ENVID/NOTIFY/ORCPT to DSN (RFC 3461), AUTH to AUTH (RFC 4954), HOLDFOR/HOLDUNTIL to
 * FUTURERELEASE, BY to DELIVERBY; any other parameter to the keyword of the same name.
 */
final class EsmtpParameters {

    private static final Map<String, String> EXTENSION_OF = Map.ofEntries(
            Map.entry("SIZE", "SIZE"),
            Map.entry("BODY", "8BITMIME"),
            Map.entry("SMTPUTF8", "SMTPUTF8"),
            Map.entry("RET", "DSN"),
            Map.entry("ENVID", "DSN"),
            Map.entry("NOTIFY", "DSN"),
            Map.entry("ORCPT", "DSN"),
            Map.entry("AUTH", "AUTH"),
            Map.entry("HOLDFOR", "FUTURERELEASE"),
            Map.entry("HOLDUNTIL", "FUTURERELEASE"),
            Map.entry("BY", "DELIVERBY"));

    private EsmtpParameters() {
    }

    /**
     * @param args       {@code FROM:<a@b> SIZE=1 BODY=8BITMIME} or {@code TO:<c@d> NOTIFY=NEVER}
     * @param extensions the next hop's EHLO keywords, upper case
     * @return the same argument with unsupported parameters removed, single-spaced
     * @throws IllegalArgumentException when the text contains CR, LF or NUL, or has no path
     */
    static String filter(String args, Set<String> extensions) {
        if (args.indexOf('\r') >= 0 || args.indexOf('\n') >= 0 || args.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("command argument contains CR, LF or NUL");
        }
        String s = args.strip();
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected FROM:<path> or TO:<path>");
        }
        int start = colon + 1;
        while (start < s.length() && s.charAt(start) == ' ') {
            start++;
        }
        int end = pathEnd(s, start);
        StringBuilder out = new StringBuilder(s.length());
        out.append(s, 0, colon + 1).append(s, start, end);
        String rest = s.substring(end).strip();
        if (!rest.isEmpty()) {
            for (String param : rest.split("[ \t]+")) {
                if (supported(param, extensions)) {
                    out.append(' ').append(param);
                }
            }
        }
        return out.toString();
    }

    /** End of the path that starts at {@code from}: after the matching '>', honouring quoted strings. */
    private static int pathEnd(String s, int from) {
        if (from < s.length() && s.charAt(from) == '<') {
            int close = Paths.closingBracket(s, from);
            if (close < 0) {
                throw new IllegalArgumentException("path has no closing '>'");
            }
            return close + 1;
        }
        int i = from;
        while (i < s.length() && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
            i++;
        }
        return i;
    }

    private static boolean supported(String param, Set<String> extensions) {
        int eq = param.indexOf('=');
        String keyword = (eq < 0 ? param : param.substring(0, eq)).toUpperCase(Locale.ROOT);
        String extension = EXTENSION_OF.getOrDefault(keyword, keyword);
        if (keyword.equals("BODY") && eq >= 0 && param.substring(eq + 1).equalsIgnoreCase("BINARYMIME")) {
            extension = "BINARYMIME";
        }
        return extensions.contains(extension);
    }
}
