package dev.portcullis.edge.restrict;

import java.util.List;

/**
 * One {@code smtpd_*_restrictions} list, walked as Postfix walks it: in order, the first
 * restriction that is not DUNNO decides the list; {@code warn_if_reject} makes the very next
 * restriction's refusal a logged "reject_warning" instead.
 */
final class RestrictionList {

    /** Marks warn_if_reject in a list. */
    static final Restriction WARN_IF_REJECT = new Restriction() {
        @Override
        public String restriction() {
            return "warn_if_reject";
        }

        @Override
        public Outcome apply(Evaluation ev) {
            ev.warnIfReject = true;
            return Outcome.DUNNO;
        }
    };

    final Stage stage;
    final List<Restriction> restrictions;

    RestrictionList(Stage stage, List<Restriction> restrictions) {
        this.stage = stage;
        this.restrictions = List.copyOf(restrictions);
    }

    Outcome evaluate(Evaluation ev) {
        ev.stage = stage;
        ev.warnIfReject = false;
        for (Restriction r : restrictions) {
            boolean warnArmed = ev.warnIfReject;
            Outcome o = r.apply(ev);
            if (warnArmed) {
                ev.warnIfReject = false; // it covers one restriction only
            }
            if (!(o instanceof Outcome.Dunno)) {
                return o;
            }
        }
        return Outcome.DUNNO;
    }

    boolean isEmpty() {
        return restrictions.isEmpty();
    }
}
