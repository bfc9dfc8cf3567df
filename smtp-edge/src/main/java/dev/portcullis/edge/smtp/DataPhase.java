package dev.portcullis.edge.smtp;

import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.content.ContentVerdict;
import dev.portcullis.edge.content.ForwardedMessage;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.restrict.Facts;
import dev.portcullis.edge.restrict.Outcome;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.events.SessionEvent;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;

/**
 * One message of a transaction, from the 354 to the final dot: receives it, checks its
 * limits (message_size_limit, header_size_limit, smtpd_forbid_bare_newline), and streams it
 * to the next hop - or, with a content check, holds it whole until the filter's verdict. The
 * next hop's answer to the final dot is the client's.
 */
final class DataPhase {

    /** Output gathered before it is handed to the next hop in one write. */
    private static final int FLUSH_THRESHOLD = 32 * 1024;

    private final SmtpSession s;
    private final Transaction t;
    private Buffer out = Buffer.buffer(4096);
    private boolean atLineStart = true;
    private boolean previousCrlf = true;
    private boolean inHeaders = true;
    private long headerBytes;
    private long size;
    private boolean oversize;
    private boolean bareLf;
    /** Part of the current line was forwarded and its line end not yet. */
    private boolean lineOpen;
    /**
     * With a content check the message is held here whole (dot-unstuffed, as the filter
     * wants it) and nothing goes to the next hop until the verdict; else null and the
     * message streams through {@link #out}.
     */
    private final Buffer held;

    DataPhase(SmtpSession s, Transaction t) {
        this.s = s;
        this.t = t;
        // PREPEND headers go above the Received header, as Postfix's smtpd writes them.
        StringBuilder top = new StringBuilder(256);
        for (String h : t.prepend) {
            top.append(h.replace("\r", " ").replace("\n", " ")).append("\r\n");
        }
        top.append(receivedHeader());
        if (s.services.content().enabled() && t.discard == null) {
            held = Buffer.buffer(8192);
            held.appendString(top.toString());
        } else {
            held = null;
            out.appendString(top.toString());
        }
    }

    /** The message's size so far, as Postfix logs it when the session ends in DATA. */
    long size() {
        return size;
    }

    void line(LineReader.Line line) {
        // RFC 5321 4.1.1.4: only CR LF . CR LF ends the data. A "." after a bare LF, or
        // followed by a bare LF, is message content (SMTP smuggling defence).
        if (atLineStart && previousCrlf && line.isDot() && line.terminator() == LineReader.Terminator.CRLF) {
            end();
            return;
        }
        if (line.terminator() == LineReader.Terminator.BARE_LF) {
            bareLf = true; // with smtpd_forbid_bare_newline = reject the message is refused at the end
        }
        byte[] bytes = line.bytes();
        int from = 0;
        if (atLineStart && bytes.length > 0 && bytes[0] == '.') {
            from = 1; // remove the client's dot-stuffing; we stuff again below
        }
        size += bytes.length - from + (line.terminator() == LineReader.Terminator.NONE ? 0 : 2);
        if (s.settings.messageSizeLimit() > 0 && size > s.settings.messageSizeLimit()
                || held != null && size > s.services.content().maxHeld()) {
            oversize = true;
        }
        boolean keep = !oversize;
        if (inHeaders && atLineStart && bytes.length == 0) {
            inHeaders = false;
        } else if (inHeaders) {
            boolean continuation = atLineStart && bytes.length > 0 && (bytes[0] == ' ' || bytes[0] == '\t');
            if (atLineStart && !continuation) {
                headerBytes = 0;
            }
            headerBytes += bytes.length - from;
            // header_size_limit: Postfix keeps the first part of an overlong header and
            // discards the excess; the message itself is not refused.
            if (headerBytes > s.settings.headerSizeLimit()) {
                keep = false;
            }
        }
        boolean ends = line.terminator() != LineReader.Terminator.NONE;
        if (keep) {
            // Held for a content check the message stays dot-unstuffed (the filter wants it
            // so; it is stuffed when forwarded); streamed, it is stuffed here.
            Buffer target = held != null ? held : out;
            if (held == null && atLineStart && bytes.length - from > 0 && bytes[from] == '.') {
                out.appendByte((byte) '.');
            }
            // A CR inside a line is a bare CR (the reader strips the one before LF). A next
            // hop that took it for a line end could be made to end DATA early and run the
            // rest as commands, so it goes out as a space, as Postfix's smtpd sends it on.
            int start = target.length();
            target.appendBytes(bytes, from, bytes.length - from);
            for (int i = start; i < target.length(); i++) {
                if (target.getByte(i) == '\r') {
                    target.setByte(i, (byte) ' ');
                }
            }
            lineOpen = !ends;
            if (ends) {
                target.appendString("\r\n");
            }
        } else if (ends && lineOpen && !oversize) {
            // The start of this line went out; its end must too, or the trimmed header
            // would swallow the next line (or the final CRLF before the dot).
            (held != null ? held : out).appendString("\r\n");
            lineOpen = false;
        }
        atLineStart = line.terminator() != LineReader.Terminator.NONE;
        previousCrlf = line.terminator() == LineReader.Terminator.CRLF;
        if (held == null && out.length() >= FLUSH_THRESHOLD) {
            flush(false);
        }
    }

    /** Hands gathered output to the next hop, pausing input while it cannot take more. */
    void flush(boolean last) {
        Future<Void> written = write(last);
        if (!written.isComplete()) {
            s.busy = true;
            written.onComplete(ar -> {
                // Only this phase's own, still-running write may let input flow again;
                // after the final dot the session waits for the next hop's verdict.
                if (s.state == SmtpSession.State.CLOSED || s.data != this) {
                    return;
                }
                s.busy = false;
                s.process();
            });
        }
    }

    /** Hands gathered output to the next hop; the future completes when it can take more. */
    private Future<Void> write(boolean last) {
        if (out.length() == 0 || oversize || t.broken || t.proxy == null) {
            if (oversize || t.broken) {
                out = Buffer.buffer(0);
            }
            return Future.succeededFuture();
        }
        Buffer chunk = out;
        out = Buffer.buffer(last ? 0 : 4096);
        return t.proxy.write(chunk).recover(e -> {
            t.broken = true;
            return Future.succeededFuture();
        });
    }

    private void end() {
        s.reader.dataMode(false);
        s.state = SmtpSession.State.COMMAND;
        s.data = null;
        if (oversize) {
            s.services.log().smtpd("warning: NOQUEUE: queue file size limit exceeded");
            s.limits.limitHit(new LocalAnvil.Exceeded("message_size_limit", size, s.settings.messageSizeLimit()));
            s.tx = null;
            t.close();
            s.replies.reject("END-OF-MESSAGE", Replies.messageFileTooBig(), "message_size_limit", t.sender, null);
            return;
        }
        if (bareLf && s.bareNewlineRejected()) {
            s.services.log().smtpd("NOQUEUE: reject: END-OF-MESSAGE from " + s.clientLog + ": bare <LF> received; from=<"
                    + t.sender + "> to=<" + t.lastRecipient + "> proto=" + s.proto() + " helo=<" + s.helo() + ">");
            s.tx = null;
            t.close();
            s.replies.rejectNoLog("END-OF-MESSAGE", Replies.bareNewline(s.settings.myhostname()), "smtpd_forbid_bare_newline",
                    t.sender, null);
            return;
        }
        if (t.broken) {
            s.tx = null;
            t.close();
            s.replies.proxyFailed("END-OF-MESSAGE", null, t.sender, null);
            return;
        }
        s.checks.prepared(RestrictionEngine.Check.END_OF_DATA, s.checks.facts("END-OF-MESSAGE", t.sender, null), this::endChecked);
    }

    private void endChecked(Facts f) {
        Outcome checked = t.discard != null ? Outcome.DUNNO // DISCARD: no restriction runs again
                : s.services.restrictions().endOfData(f, s.checks.notes("END-OF-MESSAGE", t.sender, t.lastRecipient));
        if (checked instanceof Outcome.Refusal refused) {
            s.tx = null;
            t.close(); // the next hop never gets the final dot: it discards what it has
            s.replies.restrictionReject("END-OF-MESSAGE", refused, t.sender, null);
            return;
        }
        if (t.discard != null) {
            discarded();
            return;
        }
        if (held != null) {
            checkContent();
            return;
        }
        forward();
    }

    /** An access table's DISCARD: the client hears what a delivery gives, the next hop nothing. */
    private void discarded() {
        s.tx = null;
        t.close();
        s.services.log().smtpd("NOQUEUE: discard: END-OF-MESSAGE from " + s.clientLog + ": message discarded by "
                + Untrusted.printable(t.discard, 200) + "; from=<" + t.sender + "> to=<" + t.lastRecipient
                + "> proto=" + s.proto() + " helo=<" + s.helo() + ">");
        // The bus hears what happened, as for the content filter's DISCARD.
        s.publish(new SessionEvent.Reject(s.meta(), "END-OF-MESSAGE", 250, "2.0.0", t.discard, "DISCARD", t.sender,
                null));
        s.counts.count("DATA", true);
        s.messages++;
        s.replies.delivered();
        s.replies.reply(Replies.discardedAsQueued(s.sessionId), false, "END-OF-MESSAGE");
    }

    /** Sends what is gathered and the final dot; the next hop's answer goes to the client. */
    private void forward() {
        s.busy = true;
        // The dot goes out only after the last chunk was taken (and never before).
        Future<SmtpReply> done = write(true).compose(v -> t.broken || t.proxy == null
                ? Future.failedFuture(new IllegalStateException("next hop write failed"))
                : t.proxy.endData());
        done.onComplete(ar -> {
            s.tx = null;
            t.close();
            if (s.state == SmtpSession.State.CLOSED) {
                return;
            }
            s.busy = false;
            if (ar.failed()) {
                s.replies.proxyFailed("END-OF-MESSAGE", ar.cause(), t.sender, null);
                return;
            }
            SmtpReply r = ar.result();
            String envelope = "from=<" + t.sender + "> to=<" + t.lastRecipient + "> proto=" + s.proto()
                    + " helo=<" + s.helo() + ">";
            if (r.isError()) {
                s.services.log().smtpd("NOQUEUE: proxy-reject: END-OF-MESSAGE: " + r.code() + " "
                        + Untrusted.printable(r.text(), 200) + "; " + envelope);
                s.replies.rejectNoLog("END-OF-MESSAGE", r, "next-hop", t.sender, null);
                return;
            }
            s.services.log().smtpd("NOQUEUE: proxy-accept: END-OF-MESSAGE: " + r.code() + " "
                    + Untrusted.printable(r.text(), 200) + "; " + envelope);
            s.counts.count("DATA", true);
            s.messages++;
            s.services.metrics().accepted();
            s.publish(new SessionEvent.Accepted(s.meta(), t.sender, t.recipients, size,
                    Untrusted.printable(r.code() + " " + r.text(), 200)));
            s.replies.delivered();
            s.replies.reply(r, false, "END-OF-MESSAGE");
        });
    }

    /**
     * Asks the content filter about the held message, then rejects, discards or forwards
     * it (with the filter's edits). The session is busy meanwhile: pipelined input waits.
     */
    private void checkContent() {
        s.busy = true;
        s.services.content().client().check(s.context, held, t.sender, t.recipientList, s.clientIp,
                s.helo == null ? null : s.helo).onComplete(ar -> {
                    if (s.state == SmtpSession.State.CLOSED) {
                        s.tx = null;
                        t.close();
                        return;
                    }
                    if (ar.failed()) {
                        contentUnchecked(ar.cause());
                    } else {
                        contentVerdict(ar.result());
                    }
                });
    }

    private void contentUnchecked(Throwable cause) {
        String why = Untrusted.printable(String.valueOf(cause.getMessage()), SmtpSession.LOG_TEXT);
        s.services.metrics().contentCheck("failed");
        if (s.services.content().onFailure() == ContentCheck.FailureAction.ACCEPT) {
            s.services.log().smtpd("warning: " + s.sessionId + ": content filter failed, message forwarded unchecked"
                    + " (portcullis.content-filter.failure-action = accept): " + why);
            out = ForwardedMessage.dotStuffed(held);
            forward();
            return;
        }
        s.busy = false;
        s.tx = null;
        t.close();
        s.services.log().smtpd("warning: NOQUEUE: content filter failed: " + why);
        s.replies.reject("END-OF-MESSAGE", Replies.contentFilterUnavailable(), "content-filter", t.sender, null);
    }

    private void contentVerdict(ContentVerdict v) {
        String envelope = "from=<" + t.sender + "> to=<" + t.lastRecipient + "> proto=" + s.proto() + " helo=<"
                + s.helo() + ">";
        ContentVerdict.Fired why = v.deciding();
        String check = why == null || why.checks() == null ? "content-filter" : why.checks();
        String what = why == null || why.line() == null ? "" : (check.startsWith("body") ? "body " : "header ")
                + Untrusted.printable(why.line(), 200) + " ";
        if (v.rejects() || v.discards()) {
            s.busy = false;
            s.tx = null;
            t.close(); // the next hop never gets the final dot: it discards what it has
        }
        if (v.rejects()) {
            s.services.metrics().contentCheck("reject");
            ContentVerdict.Reply r = v.reply();
            SmtpReply reply = r == null ? Replies.contentRejected()
                    : SmtpReply.of(r.code(), r.status(), r.text() == null ? "" : r.text());
            // cleanup(8)'s words: "reject: header Subject: ... from client; from=<> to=<> ...: 5.7.1 text"
            s.services.log().smtpd("NOQUEUE: reject: " + what + "from " + s.clientLog + "; " + envelope + ": "
                    + Untrusted.printable(reply.text(), 200)
                    + (v.rule() == null ? "" : " (" + Untrusted.printable(v.rule(), 200) + ")"));
            s.replies.rejectNoLog("END-OF-MESSAGE", reply, check, t.sender, null);
            return;
        }
        if (v.discards()) {
            s.services.metrics().contentCheck("discard");
            s.services.log().smtpd("NOQUEUE: discard: " + what + "from " + s.clientLog + "; " + envelope
                    + (v.rule() == null ? "" : " (" + Untrusted.printable(v.rule(), 200) + ")"));
            // The client is told what a delivery tells it (that is DISCARD's point), the
            // bus what happened, so reputation and jails count it as a content verdict.
            s.publish(new SessionEvent.Reject(s.meta(), "END-OF-MESSAGE", 250, "2.0.0", check,
                    "DISCARD " + (v.rule() == null ? "" : Untrusted.printable(v.rule(), 200)), t.sender, null));
            s.counts.count("DATA", true);
            s.messages++;
            s.replies.delivered();
            s.replies.reply(Replies.discardedAsQueued(s.sessionId), false, "END-OF-MESSAGE");
            return;
        }
        s.services.metrics().contentCheck(v.edits().isEmpty() && v.addHeaders().isEmpty() ? "accept" : "rewrite");
        List<String> extra = new ArrayList<>();
        if (v.redirect() != null) {
            extra.add("X-Portcullis-Redirect: " + Untrusted.printable(v.redirect(), 320));
        }
        for (String b : v.bcc()) {
            extra.add("X-Portcullis-Bcc: " + Untrusted.printable(b, 320));
        }
        ForwardedMessage.Result result = ForwardedMessage.apply(held, v, extra);
        if (result.dropped() > 0) {
            s.services.log().smtpd("warning: " + s.sessionId + ": " + result.dropped()
                    + " content filter edit(s) did not fit the message and were not applied");
        }
        out = ForwardedMessage.dotStuffed(result.message());
        forward();
    }

    private String receivedHeader() {
        String from = s.helo == null ? "" : s.helo + " ";
        String with = (s.esmtp ? "ESMTP" : "SMTP") + (s.tls ? "S" : "");
        StringBuilder sb = new StringBuilder(200);
        sb.append("Received: from ").append(from).append("(unknown [").append(s.clientIp).append("])\r\n")
                .append("\tby ").append(s.settings.myhostname()).append(" (Portcullis) with ").append(with)
                .append(" id ").append(s.sessionId);
        if (t.recipients == 1 && t.lastRecipient != null) {
            sb.append("\r\n\tfor <").append(t.lastRecipient).append(">");
        }
        sb.append("; ").append(java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                java.time.ZonedDateTime.now(s.services.clock()))).append("\r\n");
        return sb.toString();
    }
}
