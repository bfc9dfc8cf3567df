package dev.portcullis.content.check;

import java.util.List;

/**
 * What the content inspection of one message decided, and what the edge must change in what
 * it forwards.
 *
 * @param decision  ACCEPT, REJECT (answer {@code reply}, forward nothing) or DISCARD (answer
 *                  250, forward nothing)
 * @param reply     the SMTP reply for REJECT, else null
 * @param rule      the table and line (file:line) that decided REJECT or DISCARD, else null
 * @param hold      HOLD text when a HOLD fired ("" when it had none), else null
 * @param filter    the FILTER transport:destination in force (the last one wins), else null
 * @param redirect  the REDIRECT address in force (the last one wins), else null
 * @param bcc       the BCC addresses added, in order
 * @param addHeaders headers the edge prepends to the forwarded message so that the next hop
 *                  can act on HOLD and FILTER (see the package manual)
 * @param edits     the IGNORE/STRIP/PREPEND/REPLACE changes, sorted by offset, not overlapping
 * @param actions   every action that fired, in message order (what Postfix would have logged)
 * @param stats     how much was inspected and skipped
 */
public record Verdict(
        Decision decision,
        Action.Reply reply,
        String rule,
        String hold,
        String filter,
        String redirect,
        List<String> bcc,
        List<String> addHeaders,
        List<Edit> edits,
        List<Fired> actions,
        Stats stats) {

    public Verdict {
        bcc = List.copyOf(bcc);
        addHeaders = List.copyOf(addHeaders);
        edits = List.copyOf(edits);
        actions = List.copyOf(actions);
    }

    public enum Decision { ACCEPT, REJECT, DISCARD }

    /**
     * One action that fired.
     *
     * @param action  the command (UNKNOWN for a command cleanup(8) does not know)
     * @param checks  the table parameter, e.g. header_checks
     * @param rule    file:line of the rule
     * @param line    a printable prefix of the header or body line that matched
     * @param text    the action's argument
     * @param warning why the action was not carried out (bad argument, unknown command), else null
     */
    public record Fired(ActionKind action, String checks, String rule, String line, String text, String warning) {
    }

    /**
     * One change to the original message bytes: replace {@code length} bytes at
     * {@code offset} with {@code text} (each line of it ending in CRLF). DELETE has no text;
     * PREPEND has length 0.
     */
    public record Edit(Kind kind, long offset, long length, String text, String rule) {
        public enum Kind { DELETE, REPLACE, PREPEND }
    }

    /**
     * @param headers          logical headers looked up
     * @param bodyLines        body lines looked up
     * @param bodyLinesSkipped body lines not looked up because they lie past body_checks_size_limit
     * @param headersTruncated headers longer than header_size_limit, looked up truncated
     * @param editsDropped     rewrites that could not be placed in the original bytes (counted, not applied)
     * @param mimeErrors       MIME structure problems the parser reported and recovered from
     */
    public record Stats(long headers, long bodyLines, long bodyLinesSkipped, long headersTruncated,
                        long editsDropped, long mimeErrors) {
    }
}
