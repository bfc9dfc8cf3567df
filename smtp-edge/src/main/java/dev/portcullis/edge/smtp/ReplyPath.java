package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.restrict.Outcome;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;

import java.time.Duration;

/**
 * Every reply a session sends goes through here: it is counted (success, error, policy
 * reject), logged the Postfix way, published, and delayed by the tarpit.
 *
 * <p>The tarpit (Postfix smtpd_chat_reply): once {@link #errorCount} has reached the soft
 * limit every reply is delayed; the count goes up after a command's error reply and, for
 * junk commands past {@code smtpd_junk_command_limit}, before it; when it reaches the hard
 * limit the session gets "421 ... too many errors" and is closed. A delivered message resets
 * the count.
 */
final class ReplyPath {

    private final SmtpSession s;
    int errorCount;
    int junkCount;
    /** Errors this session started with, carried over by a cluster verdict (not its own). */
    int carriedErrors;
    boolean tarpitted;

    ReplyPath(SmtpSession s) {
        this.s = s;
    }

    /** A delivered message wipes the slate, as in Postfix (carried errors too). */
    void delivered() {
        errorCount = 0;
        carriedErrors = 0;
        junkCount = 0;
        if (tarpitted) {
            tarpitted = false;
            s.services.metrics().tarpittedSessions().decrementAndGet();
        }
    }

    /** A successful reply to a command. */
    void ok(String verb, SmtpReply r) {
        s.counts.count(verb, true);
        reply(r, false, verb);
    }

    /** A failed command that is not a policy decision (sequence, syntax). */
    void fail(String verb, SmtpReply r) {
        s.counts.count(verb, false);
        error(verb, r);
    }

    void error(String verb, SmtpReply r) {
        s.services.metrics().error();
        s.publish(new SessionEvent.Error(s.meta(), verb, r.code(), r.enhanced(), Untrusted.printable(r.lines().get(0),
                SmtpSession.LOG_TEXT), errorCount + 1));
        reply(r, true, verb);
    }

    /** A policy reject: logged the Postfix way ("NOQUEUE: reject: ..."), counted, published. */
    void reject(String stage, SmtpReply r, String check, String sender, String recipient) {
        s.services.log().smtpd("NOQUEUE: reject: " + stage + " from " + s.clientLog + ": " + r.code() + ' '
                + Untrusted.printable(r.text(), 200) + envelope(sender, recipient));
        rejectNoLog(stage, r, check, sender, recipient);
    }

    /**
     * A refusal by a restriction list: the Postfix log line, then the restriction (and table)
     * that fired as {@code check=<...>}, so that logs and the bus can count by cause.
     */
    void restrictionReject(String stage, Outcome.Refusal refused, String sender, String recipient) {
        SmtpReply r = refused.reply();
        if (r.closesSession()) {
            s.endReason = "restriction";
        }
        s.services.log().smtpd("NOQUEUE: reject: " + stage + " from " + s.clientLog + ": " + r.code() + ' '
                + Untrusted.printable(r.text(), 200) + envelope(sender, recipient) + " check=<"
                + Untrusted.printable(refused.check(), 200) + ">");
        rejectNoLog(stage, r, refused.check(), sender, recipient);
    }

    /** "; from=<s> to=<r> proto=ESMTP helo=<h>" as Postfix ends its reject lines. */
    String envelope(String sender, String recipient) {
        StringBuilder line = new StringBuilder(120).append("; from=<").append(sender == null ? "" : sender).append('>');
        if (recipient != null) {
            line.append(" to=<").append(recipient).append('>');
        }
        return line.append(" proto=").append(s.proto()).append(" helo=<").append(s.helo()).append('>').toString();
    }

    void rejectNoLog(String stage, SmtpReply r, String check, String sender, String recipient) {
        s.counts.count(stage.equals("END-OF-MESSAGE") ? "DATA" : stage, false);
        s.services.metrics().reject(r.code(), check);
        s.publish(new SessionEvent.Reject(s.meta(), stage, r.code(), r.enhanced(), check,
                Untrusted.printable(r.lines().get(0), SmtpSession.LOG_TEXT), sender, recipient));
        reply(r, true, stage);
    }

    void proxyFailed(String stage, Throwable cause, String sender, String recipient) {
        s.services.log().smtpd("warning: next hop failure after " + stage + " from " + s.clientLog + ": "
                + Untrusted.printable(cause == null ? "write failed" : String.valueOf(cause.getMessage()), SmtpSession.LOG_TEXT));
        if (s.tx != null && s.tx.recipients == 0) {
            s.tx.close(); // nothing accepted yet: the next RCPT may try the next hop again
        } else if (s.tx != null && !"END-OF-MESSAGE".equals(stage)) {
            // Recipients were accepted: keep the transaction so that DATA gets a 4xx (the
            // client retries them) rather than "need RCPT", which would bounce them.
            s.tx.broken = true;
            s.tx.close();
        } else {
            s.abortTransaction();
        }
        reject(stage, Replies.proxyFailure(), "next-hop", sender, recipient);
    }

    /**
     * Sends a reply, after the tarpit delay when the session has made enough errors, then
     * counts the error and enforces the hard limit. The delay is a timer: the session is
     * marked busy and its pipelined input waits.
     */
    void reply(SmtpReply r, boolean isError, String stage) {
        // Postfix sleeps before every reply line it sends, so a tarpitted EHLO waits once
        // per line; the same here, in one timer.
        Duration delay = s.services.tarpit().delay(errorCount).multipliedBy(r.lines().size());
        if (isError) {
            errorCount++;
        }
        if (delay.isZero()) {
            afterDelay(r, stage);
            return;
        }
        if (!tarpitted) {
            tarpitted = true;
            s.services.metrics().tarpittedSessions().incrementAndGet();
        }
        s.services.metrics().tarpitDelay();
        s.publish(new SessionEvent.Tarpit(s.meta(), delay.toMillis(), errorCount));
        s.busy = true;
        s.idle.cancel();
        s.services.vertx().setTimer(Math.max(1, delay.toMillis()), id -> {
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            afterDelay(r, stage);
        });
    }

    private void afterDelay(SmtpReply r, String stage) {
        s.sendNow(r);
        if (r.closesSession() || endsSession(s.endReason)) {
            s.close();
            return;
        }
        if (s.state == SmtpSession.State.COMMAND && s.services.tarpit().overHardLimit(errorCount)) {
            s.services.log().smtpd("too many errors after " + stage + " from " + s.clientLog);
            s.endReason = "too-many-errors";
            s.limits.limitHit(new LocalAnvil.Exceeded("smtpd_hard_error_limit", errorCount,
                    s.services.tarpit().hardLimit()));
            SmtpReply bye = Replies.tooManyErrors(s.settings.myhostname());
            Duration delay = s.services.tarpit().delay(errorCount);
            s.busy = true;
            Runnable send = () -> {
                s.sendNow(bye);
                s.close();
            };
            if (delay.isZero()) {
                send.run();
            } else {
                s.services.vertx().setTimer(delay.toMillis(), id -> {
                    if (s.state != SmtpSession.State.CLOSED) {
                        send.run();
                    }
                });
            }
            return;
        }
        s.idle.arm();
        // A reply that completed an asynchronous step (next hop, tarpit timer) frees the
        // session: go on with input the client pipelined meanwhile.
        s.process();
    }

    /** Session ends that close the connection once their reply is out. */
    private static boolean endsSession(String reason) {
        return "quit".equals(reason) || "non-smtp".equals(reason) || "bare-newline".equals(reason);
    }

    /**
     * Errors carried over from the client's earlier sessions (on any edge): the session starts
     * with them, capped one below {@code smtpd_hard_error_limit} so that it still gets to make
     * one more error before the 421. Postfix's error limits apply to every client, so this
     * does too.
     */
    void carryErrors() {
        ClusterVerdicts.Match carried = s.services.verdicts().find(s.clientAddress, Verdict.CARRIED_ERRORS);
        if (carried == null || carried.entry().value() <= 0) {
            return;
        }
        int cap = Math.max(0, s.services.tarpit().hardLimit() - 1);
        carriedErrors = (int) Math.min(carried.entry().value(), cap);
        errorCount = carriedErrors;
        s.services.metrics().carriedErrors();
    }
}
