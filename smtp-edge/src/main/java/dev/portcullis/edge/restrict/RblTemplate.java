package dev.portcullis.edge.restrict;

/**
 * The $name expansion of DNSBL reply templates, as Postfix's mac_expand(3) does it for
 * default_rbl_reply and rbl_reply_maps: {@code $name}, {@code ${name}}, {@code $(name)},
 * {@code ${name?text}} (text when the value is not empty), {@code ${name:text}} (text when it
 * is), {@code $$}. Names: rbl_code, rbl_domain, rbl_reason (and rbl_txt), rbl_what,
 * rbl_class, client_address, client_name, reverse_client_name, helo_name, sender,
 * sender_name, sender_domain, recipient, recipient_name, recipient_domain. An unknown name or
 * a syntax error makes the whole template fail (null), and the caller falls back to the
 * default one, as smtpd does.
 */
final class RblTemplate {

    record Values(int code, String domain, String what, String replyClass, String reason, Facts facts) {

        String lookup(String name) {
            Facts f = facts;
            return switch (name) {
                case "rbl_code" -> String.valueOf(code);
                case "rbl_domain" -> domain;
                case "rbl_reason", "rbl_txt" -> reason;
                case "rbl_what" -> what;
                case "rbl_class" -> replyClass;
                case "client_address" -> f.client().getHostAddress();
                case "client_name" -> f.names().name();
                case "reverse_client_name" -> f.names().reverseName();
                case "helo_name" -> f.helo() == null ? "" : f.helo();
                case "sender" -> f.sender() == null ? "" : f.sender();
                case "sender_name" -> local(f.sender());
                case "sender_domain" -> domain(f.sender());
                case "recipient" -> f.recipient() == null ? "" : f.recipient();
                case "recipient_name" -> local(f.recipient());
                case "recipient_domain" -> domain(f.recipient());
                default -> null;
            };
        }

        private static String local(String a) {
            if (a == null) {
                return "";
            }
            int at = a.lastIndexOf('@');
            return at < 0 ? a : a.substring(0, at);
        }

        private static String domain(String a) {
            if (a == null) {
                return "";
            }
            int at = a.lastIndexOf('@');
            return at < 0 ? "" : a.substring(at + 1);
        }
    }

    private RblTemplate() {
    }

    /** The expanded template, or null when it names an unknown parameter or is malformed. */
    static String expand(String template, Values v) {
        StringBuilder out = new StringBuilder(template.length() + 64);
        return expand(template, v, out, 0) ? out.toString() : null;
    }

    private static boolean expand(String t, Values v, StringBuilder out, int depth) {
        if (depth > 10) {
            return false;
        }
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= t.length()) {
                return false;
            }
            char n = t.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            if (n == '{' || n == '(') {
                char close = n == '{' ? '}' : ')';
                int end = matching(t, i + 1, n, close);
                if (end < 0) {
                    return false;
                }
                String inner = t.substring(i + 2, end);
                int op = 0;
                while (op < inner.length() && (Character.isLetterOrDigit(inner.charAt(op)) || inner.charAt(op) == '_')) {
                    op++;
                }
                String name = inner.substring(0, op);
                String value = v.lookup(name);
                if (name.isEmpty() || value == null) {
                    return false;
                }
                if (op == inner.length()) {
                    out.append(value);
                } else if (inner.charAt(op) == '?' || inner.charAt(op) == ':') {
                    boolean want = inner.charAt(op) == '?' ? !value.isEmpty() : value.isEmpty();
                    if (want && !expand(inner.substring(op + 1), v, out, depth + 1)) {
                        return false;
                    }
                } else {
                    return false;
                }
                i = end + 1;
                continue;
            }
            int end = i + 1;
            while (end < t.length() && (Character.isLetterOrDigit(t.charAt(end)) || t.charAt(end) == '_')) {
                end++;
            }
            String value = v.lookup(t.substring(i + 1, end));
            if (end == i + 1 || value == null) {
                return false;
            }
            out.append(value);
            i = end;
        }
        return true;
    }

    private static int matching(String t, int open, char o, char c) {
        int level = 0;
        for (int k = open; k < t.length(); k++) {
            if (t.charAt(k) == o) {
                level++;
            } else if (t.charAt(k) == c && --level == 0) {
                return k;
            }
        }
        return -1;
    }
}
