package dev.portcullis.edge.smtp;

import java.time.Duration;

/**
 * A session's {@code smtpd_timeout}: past it without input from the client (or a reply from
 * us) the client gets Postfix's 421 and the connection is closed.
 */
final class IdleTimer {

    private final SmtpSession s;
    private long idleTimer = -1;
    private long lastActivityNanos = System.nanoTime();

    IdleTimer(SmtpSession s) {
        this.s = s;
    }

    /**
     * smtpd_timeout counts from the client's last input or our last reply. Input only
     * records the time; one timer re-checks it when due, so a message of many lines does not
     * cost a timer per line.
     */
    void arm() {
        lastActivityNanos = System.nanoTime();
        if (idleTimer >= 0 || s.state == SmtpSession.State.CLOSED || s.state == SmtpSession.State.CLOSING) {
            return;
        }
        schedule(s.settings.smtpdTimeout().toMillis());
    }

    private void schedule(long delayMillis) {
        idleTimer = s.services.vertx().setTimer(Math.max(1, delayMillis), id -> {
            idleTimer = -1;
            if (s.state != SmtpSession.State.COMMAND && s.state != SmtpSession.State.DATA) {
                return;
            }
            long idle = Duration.ofNanos(System.nanoTime() - lastActivityNanos).toMillis();
            long timeout = s.settings.smtpdTimeout().toMillis();
            // Waiting on the tarpit or the next hop is our time, not the client's; but nothing
            // we wait for takes longer than the next hop's timeout, so busy is not for ever.
            long busyCap = 2 * timeout + s.settings.proxyTimeout().toMillis();
            if (idle < timeout || (s.busy && idle < busyCap)) {
                schedule(s.busy ? Math.min(timeout, busyCap - idle) : timeout - idle);
                return;
            }
            s.services.log().smtpd("timeout after " + s.stageForLog() + " from " + s.clientLog);
            s.endReason = "timeout";
            s.sendNow(Replies.timeout(s.settings.myhostname()));
            s.close();
        });
    }

    void cancel() {
        if (idleTimer >= 0) {
            s.services.vertx().cancelTimer(idleTimer);
            idleTimer = -1;
        }
    }
}
