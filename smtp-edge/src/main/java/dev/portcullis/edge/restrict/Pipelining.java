package dev.portcullis.edge.restrict;

/**
 * {@code reject_unauth_pipelining}: the session has seen the client send commands ahead of
 * our reply where it may not - without EHLO (we never offered PIPELINING), or after a command
 * that ends a group (RFC 2920: HELO, EHLO, DATA, NOOP, VRFY); the session logs "improper
 * command pipelining after ..." when it first sees it, as Postfix does. "503 5.5.0 &lt;name&gt;: class rejected: Improper use of SMTP command pipelining"
 * with the list's reply name and class, as Postfix words it.
 */
final class Pipelining implements Restriction {

    static final Pipelining INSTANCE = new Pipelining();

    @Override
    public String restriction() {
        return "reject_unauth_pipelining";
    }

    @Override
    public Outcome apply(Evaluation ev) {
        if (!ev.facts.pipelined()) {
            return Outcome.DUNNO;
        }
        return ev.refuse(503, "5.5.0", ev.replyName(), ev.stage.replyClass(),
                "Improper use of SMTP command pipelining", restriction());
    }
}
