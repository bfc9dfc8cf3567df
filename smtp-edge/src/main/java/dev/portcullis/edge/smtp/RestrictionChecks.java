package dev.portcullis.edge.smtp;

import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.restrict.DnsAnswers;
import dev.portcullis.edge.restrict.EnvelopeAction;
import dev.portcullis.edge.restrict.Facts;
import dev.portcullis.edge.restrict.Notes;
import dev.portcullis.edge.restrict.RestrictionEngine;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The session's side of the restriction lists: the facts they judge, the DNS lookups they
 * need run before (the {@code *Checked} continuations of the commands), and the notes they
 * leave in the mail log.
 */
final class RestrictionChecks {

    private final SmtpSession s;

    RestrictionChecks(SmtpSession s) {
        this.s = s;
    }

    /** What the restrictions see now; pipelined = the client sent more than this command. */
    Facts facts(String command, String sender, String recipient) {
        return new Facts(s.clientAddress, s.clientLog, s.heloName, s.esmtp, sender, recipient, s.illegalPipelining, command,
                s.clientName, DnsAnswers.NONE);
    }

    /**
     * Runs the DNS lookups the check at {@code check} needs ({@link RestrictionEngine#prepare}),
     * then {@code then} with the facts to evaluate, on this session's event loop. Without
     * lookups that is right now; with them the session is busy meanwhile (pipelined input
     * waits in the reader) and the lookups are bounded by the resolver's timeout and attempts,
     * so the session never hangs and the event loop never blocks.
     */
    void prepared(RestrictionEngine.Check check, Facts facts, Consumer<Facts> then) {
        CompletableFuture<Facts> ready = s.services.restrictions().prepare(check, facts);
        if (ready.isDone()) {
            then.accept(adopt(ready.getNow(facts)));
            return;
        }
        s.busy = true;
        ready.whenComplete((f, e) -> s.contextRun(() -> {
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            then.accept(adopt(e == null ? f : facts));
            s.process();
        }));
    }

    /** Keeps the client's names once looked up: later checks reuse them and log lines show them. */
    private Facts adopt(Facts f) {
        if (s.clientName == null && f.clientName() != null) {
            s.clientName = f.clientName();
            s.clientLog = f.namaddr();
        }
        return f;
    }

    /** Log lines for WARN, INFO, reject_warning and table warnings, in Postfix's words. */
    Notes notes(String stage, String sender, String recipient) {
        return new Notes() {
            @Override
            public void action(String action, String text) {
                s.services.log().smtpd("NOQUEUE: " + action + ": " + stage + " from " + s.clientLog + ": "
                        + Untrusted.printable(text, 200) + s.replies.envelope(sender, recipient));
            }

            @Override
            public void warning(String text) {
                s.services.log().smtpd("warning: " + Untrusted.printable(text, 300));
            }

            @Override
            public void honour(EnvelopeAction action) {
                s.envelope.honour(stage, action);
            }
        };
    }
}
