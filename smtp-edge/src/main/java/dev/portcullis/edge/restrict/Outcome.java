package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;

/**
 * What one restriction, one restriction list or one whole check decided. DUNNO goes on to
 * the next restriction; PERMIT ends the list (the other lists still run, as in Postfix); a
 * {@link Refusal} ends the check with its reply: a 4xx {@link Defer}, a 5xx {@link Reject}, or a
 * 421/521 {@link Disconnect} after which the session is closed.
 */
public sealed interface Outcome {

    /** The shared DUNNO. */
    Outcome DUNNO = new Dunno();

    /** Neither yes nor no: the next restriction decides. */
    record Dunno() implements Outcome {
    }

    /** Yes, for this list; {@code check} names the restriction that said so. */
    record Permit(String check) implements Outcome {
    }

    /** A refusal: the reply to give and the restriction (and table) that gave it. */
    sealed interface Refusal extends Outcome permits Defer, Reject, Disconnect {
        SmtpReply reply();

        String check();
    }

    /** A temporary refusal (4xx). */
    record Defer(SmtpReply reply, String check) implements Refusal {
    }

    /** A permanent refusal (5xx). */
    record Reject(SmtpReply reply, String check) implements Refusal {
    }

    /** 421 or 521: the reply, then the session ends. */
    record Disconnect(SmtpReply reply, String check) implements Refusal {
    }

    /** The refusal kind that {@code reply}'s code calls for. */
    static Refusal refusal(SmtpReply reply, String check) {
        if (reply.code() == 421 || reply.code() == 521) {
            return new Disconnect(reply, check);
        }
        return reply.code() < 500 ? new Defer(reply, check) : new Reject(reply, check);
    }
}
