package dev.portcullis.edge.smtp;

import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.restrict.DnsAnswers;
import dev.portcullis.edge.restrict.Facts;
import dev.portcullis.edge.restrict.Outcome;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.edge.tls.TlsGate;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * The start of a session and its upgrades: admission at connect and the greeting, HELO and
 * EHLO (with smtpd_helo_restrictions), STARTTLS and the TLS gate in front of every command.
 */
final class GreetingCommands {

    private final SmtpSession s;

    GreetingCommands(SmtpSession s) {
        this.s = s;
    }

    /**
     * The connection's admission, then the greeting: the anvil's connection count and rate,
     * local and cluster-wide, then smtpd_client_restrictions.
     */
    void connect() {
        s.limits.anvilExempt = s.services.anvil().exempt(s.clientAddress);
        LocalAnvil.Exceeded local = s.services.anvil().connect(s.clientAddress, s.clientIp);
        s.anvilCounted = true;
        // The local floor let it through: the cluster-wide layer may still refuse it.
        SessionLimits.Hit hit = s.limits.check(local, Verdict.CONNECTION_COUNT, Verdict.CONNECTION_RATE);
        if (hit != null) {
            LocalAnvil.Exceeded over = hit.over();
            String what = over.parameter().contains("rate") ? "Connection rate" : "Connection concurrency";
            s.services.log().smtpd("warning: " + what + " limit exceeded: " + over.value() + " from " + s.clientLog
                    + " for service smtp" + hit.scope());
            s.endReason = "limit";
            s.replies.reply(Replies.tooManyConnections(s.settings.myhostname(), s.clientIp), false, "CONNECT");
            return;
        }
        s.replies.carryErrors();
        s.checks.prepared(RestrictionEngine.Check.CONNECT, s.checks.facts("CONNECT", null, null), f -> {
            Outcome connect = s.services.restrictions().connect(f, s.checks.notes("CONNECT", null, null));
            if (connect instanceof Outcome.Refusal refused) {
                // As Postfix's smtpd: the refusal is the greeting, and the session stays open to
                // answer each command with "access denied" (421/521 close it at once).
                s.accessDenied = true;
                s.idle.arm();
                s.replies.restrictionReject("CONNECT", refused, null, null);
                return;
            }
            s.sendNow(Replies.greeting(s.settings.smtpdBanner()));
            s.idle.arm();
        });
    }

    /** smtpd_tls_security_level = encrypt: before STARTTLS only a few commands are allowed. */
    boolean mustStartTlsFirst(String verb) {
        return s.settings.tls() != null && s.settings.tls().required() && !s.tls && !TlsGate.allowedBeforeTls(verb);
    }

    void helo(String verb, String args) {
        if (args.isEmpty()) {
            s.replies.fail(verb, Replies.heloSyntax(verb));
            return;
        }
        // smtpd's helo_cmd: the words joined by one space, then " <>()\\\";@" neutered to '?'.
        String name = CommandSyntax.neuter(String.join(" ", args.split("[ \t]+")));
        s.checks.prepared(RestrictionEngine.Check.HELO, new Facts(s.clientAddress, s.clientLog, name, verb.equals("EHLO"), null, null,
                s.illegalPipelining, verb, s.clientName, DnsAnswers.NONE), f -> heloChecked(verb, name, f));
    }

    private void heloChecked(String verb, String name, Facts f) {
        Outcome checked = s.services.restrictions().helo(f, s.checks.notes(verb, null, null));
        if (checked instanceof Outcome.Refusal refused) {
            s.replies.restrictionReject(verb, refused, null, null);
            return;
        }
        s.abortTransaction();
        s.heloName = name;
        s.helo = Untrusted.printable(name, 255);
        s.esmtp = verb.equals("EHLO");
        s.publish(new SessionEvent.Helo(s.meta(), s.helo, s.esmtp));
        if (!s.esmtp) {
            s.replies.ok(verb, Replies.helo(s.settings.myhostname()));
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(s.settings.myhostname());
        lines.add("PIPELINING");
        lines.add(s.settings.messageSizeLimit() > 0 ? "SIZE " + s.settings.messageSizeLimit() : "SIZE");
        if (!s.settings.disableVrfy()) {
            lines.add("VRFY");
        }
        if (s.settings.tls() != null && !s.tls) {
            lines.add("STARTTLS");
        }
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("8BITMIME");
        s.replies.ok(verb, new SmtpReply(250, null, lines));
    }

    void startTls(String args) {
        if (s.settings.tls() == null || s.tls) {
            s.replies.fail("STARTTLS", s.tls ? Replies.alreadyTls() : Replies.notImplemented());
            return;
        }
        if (!args.isEmpty()) {
            s.replies.fail("STARTTLS", Replies.syntax("STARTTLS"));
            return;
        }
        // As Postfix: refused here (454, the session goes on in clear text) once the client's
        // completed handshakes are over the limit; the handshake that crosses it gets a 421.
        LocalAnvil.Exceeded over = s.services.anvil().newTlsSessionStatus(s.clientAddress, s.clientIp);
        if (over != null) {
            s.limits.limitHit(over);
            tlsRateWarning(over);
            s.counts.count("STARTTLS", false);
            s.replies.reply(Replies.tooManyTlsSessions(s.clientLog), true, "STARTTLS");
            return;
        }
        s.counts.count("STARTTLS", true);
        // Whatever the client pipelined after STARTTLS arrived in clear text and must not be
        // executed inside the TLS session (CVE-2011-0411 and its kin).
        s.reader.discardBuffered();
        s.busy = true;
        s.tlsPending = true;
        s.socket.write(Replies.readyToStartTls().toBuffer());
        s.socket.upgradeToSsl().onComplete(ar -> {
            s.tlsPending = false;
            s.reader.discardBuffered();
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            if (ar.failed()) {
                s.services.log().smtpd("SSL_accept error from " + s.clientLog + ": " + Untrusted.printable(
                        String.valueOf(ar.cause().getMessage()), SmtpSession.LOG_TEXT));
                s.endReason = "tls-failed";
                s.close();
                return;
            }
            s.tls = true;
            LocalAnvil.Exceeded crossed = s.services.anvil().newTlsSession(s.clientAddress, s.clientIp);
            if (crossed != null) {
                s.limits.limitHit(crossed);
                tlsRateWarning(crossed);
                s.endReason = "limit";
                s.replies.reply(Replies.tooManyNewTlsSessions(s.settings.myhostname(), s.clientLog), false, "STARTTLS");
                return;
            }
            s.helo = null;
            s.heloName = null;
            s.esmtp = false;
            s.abortTransaction();
            s.process();
        });
    }

    private void tlsRateWarning(LocalAnvil.Exceeded over) {
        s.services.log().smtpd("warning: New TLS session rate limit exceeded: " + over.value() + " from "
                + s.clientLog + " for service smtp");
    }
}
