package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;

/**
 * One run of the restriction lists for one command: the facts, the list being evaluated, and
 * Postfix's evaluation state - {@code warn_if_reject} (for the next restriction only),
 * DEFER_IF_REJECT (for the rest of this list group) and DEFER_IF_PERMIT (carried to the end
 * of the command's check; with {@code smtpd_delay_reject} the client, helo and sender lists'
 * ones reach the RCPT verdict, as in smtpd_check.c).
 */
final class Evaluation {

    /** Reply texts are cut here; a table's text is the admin's, but still bounded. */
    private static final int MAX_TEXT = 400;

    final Facts facts;
    final ReplyCodes codes;
    final Notes notes;
    final Destinations destinations;
    Stage stage;
    boolean warnIfReject;
    SmtpReply deferIfReject;
    String deferIfRejectCheck;
    SmtpReply deferIfPermit;
    String deferIfPermitCheck;
    /** reject_unlisted_sender / _recipient ran in a list: the implicit check is not repeated. */
    boolean senderMapsChecked;
    boolean recipientMapsChecked;
    /** Restriction classes being walked now (a loop guard). */
    int classDepth;

    Evaluation(Facts facts, ReplyCodes codes, Notes notes, Destinations destinations) {
        this.facts = facts;
        this.codes = codes;
        this.notes = notes;
        this.destinations = destinations;
    }

    /** "&lt;name&gt;: class rejected: text" with {@code code} and {@code dsn}, through {@link #refuse(SmtpReply, String)}. */
    Outcome refuse(int code, String dsn, String name, String replyClass, String text, String check) {
        return refuse(reply(code, dsn, name, replyClass, text), check);
    }

    /**
     * A refusal as Postfix's smtpd_check_reject() gives it: under warn_if_reject only logged
     * ("reject_warning") and DUNNO; a 5xx while DEFER_IF_REJECT is in force becomes that 4xx.
     */
    Outcome refuse(SmtpReply reply, String check) {
        if (warnIfReject) {
            notes.action("reject_warning", reply.code() + " " + reply.text());
            return Outcome.DUNNO;
        }
        if (reply.code() >= 500 && deferIfReject != null) {
            return Outcome.refusal(deferIfReject, deferIfRejectCheck);
        }
        return Outcome.refusal(reply, check);
    }

    /** DEFER_IF_PERMIT or DEFER_IF_REJECT: the first one armed stays. */
    void armDeferral(boolean ifPermit, SmtpReply reply, String check) {
        if (ifPermit && deferIfPermit == null) {
            deferIfPermit = reply;
            deferIfPermitCheck = check;
        } else if (!ifPermit && deferIfReject == null) {
            deferIfReject = reply;
            deferIfRejectCheck = check;
        }
    }

    /** The list's own reply name and class (generic restrictions: reject, defer, ...). */
    String replyName() {
        return stage.replyName(facts);
    }

    static SmtpReply reply(int code, String dsn, String name, String replyClass, String text) {
        return SmtpReply.of(code, fixDsn(code, dsn), "<" + Untrusted.printable(name == null ? "" : name, 320) + ">: "
                + replyClass + " rejected: " + Untrusted.printable(text, MAX_TEXT));
    }

    /** Postfix makes the enhanced code's class agree with the reply code's. */
    static String fixDsn(int code, String dsn) {
        char c = (char) ('0' + code / 100);
        return dsn.charAt(0) == c ? dsn : c + dsn.substring(1);
    }
}
