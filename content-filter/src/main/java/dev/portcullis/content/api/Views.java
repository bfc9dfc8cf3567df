package dev.portcullis.content.api;

import dev.portcullis.content.check.Action;
import dev.portcullis.content.check.Verdict;

import java.util.List;

/** JSON shapes of the API. */
public final class Views {

    private Views() {
    }

    /**
     * The answer to {@code POST /api/v1/check}.
     *
     * @param decision   ACCEPT, REJECT or DISCARD
     * @param smtpReply  the reply the edge gives at end of DATA for REJECT ("550 5.7.1 text"), else null
     * @param reply      the same, split (code, status, text)
     * @param rule       file:line of the rule that decided REJECT/DISCARD
     * @param hold       HOLD text ("" without text) or null
     * @param filter     FILTER transport:destination in force or null
     * @param redirect   REDIRECT address in force or null
     * @param bcc        BCC addresses to add
     * @param addHeaders headers to prepend to the forwarded message (HOLD, FILTER)
     * @param edits      byte-range changes to the message, sorted, not overlapping
     * @param actions    every action that fired
     * @param stats      inspected/skipped counts
     * @param micros     inspection time
     */
    public record CheckView(String decision, String smtpReply, Action.Reply reply, String rule, String hold,
                            String filter, String redirect, List<String> bcc, List<String> addHeaders,
                            List<Verdict.Edit> edits, List<Verdict.Fired> actions, Verdict.Stats stats,
                            long micros) {

        static CheckView of(Verdict v, long micros) {
            return new CheckView(v.decision().name(), v.reply() == null ? null : v.reply().toString(), v.reply(),
                    v.rule(), v.hold(), v.filter(), v.redirect(), v.bcc(), v.addHeaders(), v.edits(), v.actions(),
                    v.stats(), micros);
        }
    }

    /**
     * The body of {@code POST /api/v1/test}.
     *
     * @param table a check parameter (header_checks, mime_header_checks, nested_header_checks,
     *              body_checks: its tables in order, as cleanup searches them) or one loaded
     *              table by name (regexp:/etc/postfix/header_checks)
     * @param line  the lookup key: a whole logical header ("Subject: x", folding as "\n ") or a body line
     */
    public record TestRequest(String table, String line) {
    }

    /**
     * The answer to {@code POST /api/v1/test}.
     *
     * @param found   whether a rule matched
     * @param value   the table's result after $n substitution (what {@code postmap -q} prints)
     * @param rule    file:line of the rule
     * @param action  the action as cleanup would parse it
     * @param text    its argument
     * @param problem why cleanup would not carry it out (bad argument, unknown command), else null
     */
    public record TestResult(String table, boolean found, String value, String rule, String action, String text,
                             String problem) {
    }
}
