package dev.portcullis.edge.smtp;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.relay.ProxySession;
import dev.portcullis.edge.restrict.EnvelopeAction;
import dev.portcullis.edge.restrict.Facts;
import dev.portcullis.edge.restrict.Outcome;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MAIL, RCPT and DATA: the envelope of a transaction, its limits and restriction lists, and
 * its next-hop connection (a before-queue proxy: opened at the first RCPT that passes the
 * local checks, every accepted RCPT forwarded, and the next hop's answer is what the client
 * sees). DATA ends here with the next hop's 354; the message itself is a {@link DataPhase}.
 */
final class EnvelopeCommands {

    private final SmtpSession s;
    /** DISCARD, PREPEND, REDIRECT, BCC fired by the sender list at MAIL, before its transaction exists. */
    private final List<EnvelopeAction> pendingActions = new ArrayList<>(1);

    EnvelopeCommands(SmtpSession s) {
        this.s = s;
    }

    void mail(String args) {
        if (s.settings.heloRequired() && s.helo == null) {
            s.replies.fail("MAIL", Replies.sendHeloFirst());
            return;
        }
        if (s.tx != null) {
            s.replies.fail("MAIL", Replies.nestedMail());
            return;
        }
        MailPath path;
        try {
            path = MailPath.parse(args, "FROM", true);
        } catch (MailPath.Invalid e) {
            s.replies.fail("MAIL", e.reply());
            return;
        }
        long size = -1;
        for (var p : path.params().entrySet()) {
            switch (p.getKey()) {
                case "SIZE" -> {
                    try {
                        size = Long.parseLong(p.getValue());
                        if (size < 0) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        s.replies.fail("MAIL", Replies.badSize());
                        return;
                    }
                }
                case "BODY" -> {
                    String body = p.getValue().toUpperCase(Locale.ROOT);
                    if (!body.equals("7BIT") && !body.equals("8BITMIME")) {
                        s.replies.fail("MAIL", Replies.badBody());
                        return;
                    }
                }
                default -> {
                    s.replies.fail("MAIL", Replies.unsupportedOption(Untrusted.printable(path.words().get(p.getKey()), 60)));
                    return;
                }
            }
        }
        String sender = Untrusted.printable(path.address(), 320);
        SessionLimits.Hit hit = s.limits.check(s.services.anvil().message(s.clientAddress, s.clientIp),
                Verdict.MESSAGE_RATE);
        if (hit != null) {
            s.services.log().smtpd("warning: Message delivery request rate limit exceeded: " + hit.over().value()
                    + " from " + s.clientLog + " for service smtp" + hit.scope());
            s.replies.reject("MAIL", Replies.tooMuchMail(s.clientIp), hit.over().parameter(), sender, null);
            return;
        }
        if (s.settings.messageSizeLimit() > 0 && size > s.settings.messageSizeLimit()) {
            s.replies.reject("MAIL", Replies.sizeExceedsLimit(), "message_size_limit", sender, null);
            return;
        }
        long declared = size;
        pendingActions.clear();
        s.checks.prepared(RestrictionEngine.Check.MAIL, s.checks.facts("MAIL", sender, null), f -> mailChecked(f, sender, args, declared));
    }

    private void mailChecked(Facts f, String sender, String args, long size) {
        if (s.tx != null) {
            s.replies.fail("MAIL", Replies.nestedMail()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = s.services.restrictions().mail(f, s.checks.notes("MAIL", sender, null));
        if (checked instanceof Outcome.Refusal refused) {
            pendingActions.clear();
            s.replies.restrictionReject("MAIL", refused, sender, null);
            return;
        }
        s.tx = new Transaction(sender, args, size);
        for (EnvelopeAction a : pendingActions) {
            envelopeAction(s.tx, a);
        }
        pendingActions.clear();
        s.publish(new SessionEvent.Mail(s.meta(), sender, size));
        s.replies.ok("MAIL", Replies.mailOk());
    }

    void rcpt(String args) {
        if (s.tx == null) {
            s.replies.fail("RCPT", Replies.needMail());
            return;
        }
        MailPath path;
        try {
            path = MailPath.parse(args, "TO", false);
        } catch (MailPath.Invalid e) {
            s.replies.fail("RCPT", e.reply());
            return;
        }
        if (!path.params().isEmpty()) {
            s.replies.fail("RCPT", Replies.unsupportedOption(Untrusted.printable(path.words().values().iterator().next(), 60)));
            return;
        }
        String recipient = Untrusted.printable(path.address(), 320);
        // As smtpd's rcpt_cmd: the rate is counted right after the syntax check, so refused
        // relay probes count too.
        SessionLimits.Hit hit = s.limits.check(s.services.anvil().recipient(s.clientAddress, s.clientIp),
                Verdict.RECIPIENT_RATE);
        if (hit != null) {
            s.services.log().smtpd("warning: Recipient address rate limit exceeded: " + hit.over().value()
                    + " from " + s.clientLog + " for service smtp" + hit.scope());
            s.replies.reject("RCPT", Replies.tooManyRecipientsFrom(s.clientIp), hit.over().parameter(), s.tx.sender,
                    recipient);
            return;
        }
        if (s.tx.recipients >= s.settings.recipientLimit()) {
            // Postfix answers 452 but counts it neither as an error nor as a failed RCPT: the
            // client is meant to send the rest in another transaction.
            s.limits.limitHit(new LocalAnvil.Exceeded("smtpd_recipient_limit", s.tx.recipients + 1L, s.settings.recipientLimit()));
            s.counts.count("RCPT", true);
            s.publish(new SessionEvent.Reject(s.meta(), "RCPT", 452, "4.5.3", "smtpd_recipient_limit",
                    "Error: too many recipients", s.tx.sender, recipient));
            s.replies.reply(Replies.tooManyRecipients(), false, "RCPT");
            return;
        }
        if (s.tx.discard != null) {
            // As Postfix: once DISCARD fired, no restriction runs again in this transaction.
            recipientAccepted(s.tx, recipient, Replies.rcptOk());
            return;
        }
        Transaction checking = s.tx;
        s.checks.prepared(RestrictionEngine.Check.RCPT, s.checks.facts("RCPT", s.tx.sender, recipient),
                f -> rcptChecked(f, checking, args, recipient));
    }

    private void rcptChecked(Facts f, Transaction checking, String args, String recipient) {
        if (s.tx != checking) {
            s.replies.fail("RCPT", Replies.needMail()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = s.services.restrictions().rcpt(f, s.checks.notes("RCPT", s.tx.sender, recipient));
        if (checked instanceof Outcome.Refusal refused) {
            s.replies.restrictionReject("RCPT", refused, s.tx.sender, recipient);
            return;
        }
        if (s.tx.broken) {
            s.replies.reject("RCPT", Replies.proxyFailure(), "next-hop", s.tx.sender, recipient);
            return;
        }
        Transaction t = s.tx;
        String forwarded = args;
        if (t.discard != null || t.redirect != null && t.redirect.equals(t.redirectSent)) {
            // DISCARD (fired by this RCPT's check): the next hop never hears of it. REDIRECT:
            // the next hop already has the one recipient that replaces all of them.
            recipientAccepted(t, recipient, Replies.rcptOk());
            return;
        }
        if (t.redirect != null) {
            // A (new) REDIRECT target replaces every recipient: the next hop starts over with it alone.
            t.close();
            t.redirectSent = t.redirect;
            forwarded = "TO:<" + t.redirect + ">";
        }
        String rcptArgs = forwarded;
        s.busy = true;
        proxyFor(t).compose(proxy -> proxy.rcpt(rcptArgs)).onComplete(ar -> {
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            if (ar.failed() && ar.cause() instanceof RefusedByNextHop refused) {
                s.replies.reject("RCPT", refused.reply, "next-hop", t.sender, recipient);
                return;
            }
            if (ar.failed()) {
                s.replies.proxyFailed("RCPT", ar.cause(), t.sender, recipient);
                return;
            }
            SmtpReply r = ar.result();
            if (r.isError()) {
                if (t.redirectSent != null && t.recipients > 0) {
                    t.broken = true; // the recipients it replaced are gone from the next hop too
                }
                s.replies.reject("RCPT", r, "next-hop", t.sender, recipient);
                return;
            }
            recipientAccepted(t, recipient, r);
        });
    }

    private void recipientAccepted(Transaction t, String recipient, SmtpReply r) {
        t.recipients++;
        t.lastRecipient = recipient;
        t.recipientList.add(recipient);
        s.publish(new SessionEvent.Rcpt(s.meta(), t.sender, recipient));
        s.replies.ok("RCPT", r);
    }

    /**
     * An envelope action a restriction fired at {@code stage}: carried out on the transaction,
     * kept for the one this MAIL opens, or (smtpd_delay_reject = no, before MAIL) ignored.
     */
    void honour(String stage, EnvelopeAction action) {
        if (s.tx != null) {
            envelopeAction(s.tx, action);
        } else if (stage.equals("MAIL")) {
            pendingActions.add(action); // for the transaction this MAIL opens
        } else {
            s.services.log().smtpd("warning: " + Untrusted.printable(action.check(), 200) + ": action "
                    + action.kind() + " outside a mail transaction is ignored (smtpd_delay_reject = no)");
        }
    }

    /**
     * Carries out an access table's DISCARD, PREPEND, REDIRECT or BCC for this transaction
     * (the edge's stand-in for cleanup(8), which does it in Postfix).
     */
    private void envelopeAction(Transaction t, EnvelopeAction a) {
        switch (a.kind()) {
            case DISCARD -> {
                if (t.discard == null) {
                    t.discard = a.check();
                    t.close(); // what the next hop has so far is dropped with the connection
                }
            }
            case PREPEND -> t.prepend.add(a.value());
            case REDIRECT -> t.redirect = a.value();
            case BCC -> t.bcc.add(a.value());
        }
    }

    /**
     * The transaction's next-hop connection, opened (with MAIL FROM) on first use. A MAIL that
     * the next hop refuses is answered to this RCPT, as Postfix's proxy does.
     */
    private Future<ProxySession> proxyFor(Transaction t) {
        if (t.proxy != null) {
            return Future.succeededFuture(t.proxy);
        }
        return s.services.nextHop().open(s.context).compose(proxy -> proxy.mail(t.mailArgs).compose(r -> {
            if (!r.isPositive()) {
                proxy.close();
                return Future.failedFuture(new RefusedByNextHop(r));
            }
            if (s.state == SmtpSession.State.CLOSED || s.tx != t) {
                proxy.close();
                return Future.failedFuture(new IllegalStateException("transaction gone"));
            }
            t.proxy = proxy;
            s.services.log().smtpd("NOQUEUE: client=" + s.clientLog);
            return Future.succeededFuture(proxy);
        }));
    }

    /** The next hop answered MAIL with a refusal; that reply goes to the client's RCPT. */
    private static final class RefusedByNextHop extends Exception {
        final SmtpReply reply;

        RefusedByNextHop(SmtpReply reply) {
            super(reply.toString(), null, false, false);
            this.reply = reply;
        }
    }

    void dataCommand(String args) {
        if (!args.isEmpty()) {
            s.replies.fail("DATA", Replies.syntax("DATA"));
            return;
        }
        if (s.tx == null) {
            s.replies.fail("DATA", Replies.needRcpt());
            return;
        }
        if (s.tx.recipients == 0) {
            s.replies.fail("DATA", Replies.noValidRecipients());
            return;
        }
        Transaction checking = s.tx;
        s.checks.prepared(RestrictionEngine.Check.DATA, s.checks.facts("DATA", s.tx.sender, null), f -> dataChecked(f, checking));
    }

    private void dataChecked(Facts f, Transaction checking) {
        if (s.tx != checking) {
            s.replies.fail("DATA", Replies.needRcpt()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = s.tx.discard != null ? Outcome.DUNNO // DISCARD: no restriction runs again
                : s.services.restrictions().data(f, s.checks.notes("DATA", s.tx.sender, s.tx.lastRecipient));
        if (checked instanceof Outcome.Refusal refused) {
            s.replies.restrictionReject("DATA", refused, s.tx.sender, null);
            return;
        }
        Transaction t = s.tx;
        if (t.discard != null) {
            // Accepted and dropped: the client sends the message, nobody else sees it.
            startData(t);
            return;
        }
        if (s.tx.broken || s.tx.proxy == null) {
            s.replies.reject("DATA", Replies.proxyFailure(), "next-hop", s.tx.sender, null);
            return;
        }
        s.busy = true;
        bccRecipients(t).compose(v -> t.proxy.data()).onComplete(ar -> {
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            if (ar.failed()) {
                t.broken = true;
                s.replies.proxyFailed("DATA", ar.cause(), t.sender, null);
                return;
            }
            SmtpReply r = ar.result();
            if (r.code() != 354) {
                s.replies.reject("DATA", r, "next-hop", t.sender, null);
                return;
            }
            startData(t);
        });
    }

    /** 354: the session reads the message from here on. */
    private void startData(Transaction t) {
        s.publish(new SessionEvent.Data(s.meta(), t.recipients));
        s.data = new DataPhase(s, t);
        s.state = SmtpSession.State.DATA;
        s.reader.dataMode(true);
        s.replies.reply(Replies.startData(), false, "DATA");
    }

    /** BCC recipients not yet given to the next hop; one it refuses is logged and left out. */
    private Future<Void> bccRecipients(Transaction t) {
        Future<Void> done = Future.succeededFuture();
        for (String b : t.bcc) {
            if (!t.bccSent.add(b)) {
                continue;
            }
            done = done.compose(v -> t.proxy.rcpt("TO:<" + b + ">").map(r -> {
                if (r.isError()) {
                    s.services.log().smtpd("warning: " + s.sessionId + ": next hop refused BCC recipient <" + b + ">: "
                            + r.code() + " " + Untrusted.printable(r.text(), SmtpSession.LOG_TEXT));
                }
                return null;
            }));
        }
        return done;
    }
}
