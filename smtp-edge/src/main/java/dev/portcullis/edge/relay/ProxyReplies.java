package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;

/**
 * What the edge answers its client when relaying to the next hop fails, as Postfix's smtpd
 * does when its before-queue {@code smtpd_proxy_filter} fails.
 *
 * <p>Verified against Postfix source (src/smtpd/smtpd_proxy.c, src/global/cleanup_strerror.c):
 * <ul>
 * <li>smtpd_proxy_rdwr_error() handles connect failure ("connect to proxy filter"), lost
 *   connection (SMTP_ERR_EOF, "lost connection with proxy") and timeout (SMTP_ERR_TIME,
 *   "timeout talking to proxy"); all three end in smtpd_proxy_fake_server_reply(state,
 *   CLEANUP_STAT_PROXY), which formats {@code "%d %s Error: %s"} from the cleanup_stat_map
 *   entry {@code CLEANUP_STAT_PROXY, 451, "4.3.0", "queue file write error"}, i.e.
 *   {@code 451 4.3.0 Error: queue file write error}. (Postfix before DSN support, 2.2, sent
 *   {@code 451 Error: queue file write error}.)</li>
 * <li>A refused banner or EHLO is not passed back either: smtpd_proxy_connect() makes up the
 *   same 451 "instead of passing back a negative greeting banner", since the client is by then
 *   expecting a MAIL or RCPT reply. Here such a hop is skipped for the next one, and only when
 *   all fail does the edge answer the 451.</li>
 * <li>smtpd_proxy_cmd(): "Starting with Postfix 2.6 we don't pass through unexpected 2xx or 3xx
 *   proxy replies ... we replace them by generic server error replies" (the same 451).</li>
 * <li>A 4xx or 5xx reply to MAIL ("NOT: smtpd_proxy_fake_server_reply"), RCPT, DATA or the
 *   final dot is sent to the client as the proxy sent it: smtpd.c replies
 *   {@code smtpd_chat_reply(state, "%s", STR(proxy->buffer))}. So is the next hop's 2xx to
 *   the final dot ("250 2.0.0 Ok: queued as ..."). Postfix censors unprintable bytes in those
 *   replies to '?' and keeps at most line_length_limit bytes of a multi-line reply; the reply
 *   parser here does the same within its own limits.</li>
 * </ul>
 */
public final class ProxyReplies {

    /** Postfix: cleanup_stat_detail(CLEANUP_STAT_PROXY), formatted by smtpd_proxy_fake_server_reply(). */
    public static final SmtpReply QUEUE_FILE_WRITE_ERROR =
            SmtpReply.of(451, "4.3.0", "Error: queue file write error");

    private ProxyReplies() {
    }

    /** The reply for a failed relay step: always {@link #QUEUE_FILE_WRITE_ERROR}. */
    public static SmtpReply forFailure(Throwable failure) {
        if (failure instanceof NextHopException e) {
            return e.reply();
        }
        return QUEUE_FILE_WRITE_ERROR;
    }

    /**
     * The reply for the client after a relay step: the next hop's own reply when it gave one
     * (pass-through, whatever the code), else {@link #forFailure}.
     *
     * @throws IllegalStateException when {@code result} is a future that has not completed yet
     */
    public static SmtpReply toClient(AsyncResult<SmtpReply> result) {
        if (result instanceof Future<SmtpReply> f && !f.isComplete()) {
            throw new IllegalStateException("relay step has not completed yet");
        }
        return result.succeeded() ? result.result() : forFailure(result.cause());
    }
}
