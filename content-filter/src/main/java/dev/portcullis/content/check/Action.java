package dev.portcullis.content.check;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One table result parsed the way cleanup(8) parses it (header_body_checks.c, cleanup_act):
 * the first word is the command, case-insensitive, the rest (leading blanks removed) its
 * argument. A command with a malformed argument (a PREPEND header text without a header
 * label, a FILTER without transport:destination, a REDIRECT or BCC without user@domain) is
 * {@link #problem() refused}: Postfix logs a warning and keeps the line as it was.
 *
 * @param kind    the command
 * @param command the command word as written (for UNKNOWN and logs)
 * @param text    the argument, may be empty
 * @param problem why the argument is refused, or null when it is usable
 */
public record Action(ActionKind kind, String command, String text, String problem) {

    /** Postfix's reply text for a REJECT without text (cleanup_act.c). */
    public static final String DEFAULT_REJECT = "message content rejected";

    // dsn_valid(): class digit, dot, 1-3 digits, dot, 1-3 digits.
    private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");
    // is_header(): a label of printable ASCII without blanks or colon, then optional blanks and a colon.
    private static final Pattern HEADER_LABEL = Pattern.compile("[!-9;-~]+[ \t]*:.*", Pattern.DOTALL);

    /**
     * Parses a table value.
     *
     * @param value  the table result after $n substitution
     * @param header true in a header context (PREPEND/REPLACE need a "name: value" text there)
     */
    public static Action parse(String value, boolean header) {
        String v = value.strip();
        int sp = 0;
        while (sp < v.length() && v.charAt(sp) != ' ' && v.charAt(sp) != '\t') {
            sp++;
        }
        String command = v.substring(0, sp);
        String text = v.substring(sp).strip();
        ActionKind kind;
        try {
            kind = ActionKind.valueOf(command.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            kind = command.equalsIgnoreCase("OK") ? ActionKind.DUNNO : ActionKind.UNKNOWN;
        }
        if (kind == ActionKind.UNKNOWN) {
            return new Action(kind, command, text, "unknown command");
        }
        String problem = switch (kind) {
            case PREPEND, REPLACE -> text.isEmpty()
                    ? "empty " + kind + " text"
                    : header && !HEADER_LABEL.matcher(text).matches()
                    ? "bad " + kind + " header text \"" + text + "\" -- need \"headername: headervalue\""
                    : null;
            case FILTER -> text.indexOf(':') <= 0
                    ? "bad FILTER command " + text + " -- need transport:destination" : null;
            case REDIRECT, BCC -> text.indexOf('@') < 0
                    ? "bad " + kind + " address \"" + text + "\" -- need user@domain" : null;
            default -> null;
        };
        return new Action(kind, command, text, problem);
    }

    /**
     * The SMTP reply for a REJECT: 550 with status 5.7.1 by default; a text that starts with
     * a status code keeps it, and a 4.X.Y status makes the reply 451 (as Postfix 3.7 answers).
     */
    public Reply reply() {
        if (kind != ActionKind.REJECT) {
            throw new IllegalStateException("not a REJECT: " + kind);
        }
        String status = "5.7.1";
        String rest = text;
        int sp = text.indexOf(' ');
        String first = sp < 0 ? text : text.substring(0, sp);
        if (STATUS.matcher(first).matches() && first.charAt(0) != '2') {
            status = first;
            rest = sp < 0 ? "" : text.substring(sp + 1).strip();
        }
        if (rest.isEmpty()) {
            rest = DEFAULT_REJECT;
        }
        return new Reply(status.charAt(0) == '4' ? 451 : 550, status, rest);
    }

    /** An SMTP reply: code, enhanced status, text. */
    public record Reply(int code, String status, String text) {
        @Override
        public String toString() {
            return code + " " + status + " " + text;
        }
    }
}
