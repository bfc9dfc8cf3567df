package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;

/**
 * {@code permit_auth_destination}, {@code reject_unauth_destination} ("relay_domains_reject_code
 * 5.7.1 &lt;rcpt&gt;: Relay access denied") and {@code defer_unauth_destination} (454 4.7.1),
 * judged by {@link Destinations}. Outside RCPT there is no recipient and they do nothing.
 */
enum DestinationRestriction implements Restriction {
    PERMIT_AUTH_DESTINATION,
    REJECT_UNAUTH_DESTINATION,
    DEFER_UNAUTH_DESTINATION;



    @Override
    public String restriction() {
        return Restriction.nameOf(this);
    }

    @Override
    public Outcome apply(Evaluation ev) {
        String rcpt = ev.facts.recipient();
        if (rcpt == null) {
            return Outcome.DUNNO;
        }
        boolean ours = ev.destinations.authorizedDestination(rcpt);
        if (this == PERMIT_AUTH_DESTINATION) {
            return ours ? new Outcome.Permit(restriction()) : Outcome.DUNNO;
        }
        if (ours) {
            return Outcome.DUNNO;
        }
        String text = "<" + Untrusted.printable(rcpt, 320) + ">: Relay access denied";
        return this == REJECT_UNAUTH_DESTINATION
                ? ev.refuse(SmtpReply.of(ev.codes.relayDomains(), Evaluation.fixDsn(ev.codes.relayDomains(), "5.7.1"),
                text), restriction())
                : ev.refuse(SmtpReply.of(454, "4.7.1", text), restriction());
    }
}
