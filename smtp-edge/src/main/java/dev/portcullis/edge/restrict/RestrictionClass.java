package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;

import java.util.List;

/**
 * One of {@code smtpd_restriction_classes}: a name defined in main.cf as a list of
 * restrictions ({@code strict = reject_unlisted_recipient, permit}), usable in any list and as
 * an access-table result, as in Postfix's RESTRICTION_CLASS_README. Its restrictions are walked
 * in place, in the caller's list: the first non-DUNNO answer is the class's answer (a PERMIT
 * ends the calling list too, as smtpd_check.c's nested generic_checks() returns OK), and a
 * class that ends in DUNNO lets the calling list go on.
 *
 * <p>Classes may name each other and tables may name classes, so a loop is possible; past
 * {@link #MAX_DEPTH} nested classes the check answers "451 4.3.5 Server configuration error"
 * and logs the loop, rather than overflowing the stack.
 */
final class RestrictionClass implements Restriction {

    static final int MAX_DEPTH = 50;

    private final String name;
    /** Set once by the builder (classes may refer to each other), before any session exists. */
    private List<Restriction> body = List.of();

    RestrictionClass(String name) {
        this.name = name;
    }

    void define(List<Restriction> restrictions) {
        this.body = List.copyOf(restrictions);
    }

    /** The class's restrictions, in order (the engine walks them for their DNS questions). */
    List<Restriction> body() {
        return body;
    }

    @Override
    public String restriction() {
        return name;
    }

    @Override
    public Outcome apply(Evaluation ev) {
        if (ev.classDepth >= MAX_DEPTH) {
            ev.notes.warning("restriction class nesting too deep (a loop?) in " + name);
            return ev.refuse(SmtpReply.of(451, "4.3.5", "Server configuration error"), name);
        }
        ev.classDepth++;
        try {
            for (Restriction r : body) {
                boolean warnArmed = ev.warnIfReject;
                Outcome o = r.apply(ev);
                if (warnArmed) {
                    ev.warnIfReject = false; // warn_if_reject covers one restriction, as in RestrictionList
                }
                if (!(o instanceof Outcome.Dunno)) {
                    return o;
                }
            }
            return Outcome.DUNNO;
        } finally {
            ev.classDepth--;
        }
    }
}
