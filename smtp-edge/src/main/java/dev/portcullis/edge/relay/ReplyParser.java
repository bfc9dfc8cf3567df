package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

import java.util.ArrayList;
import java.util.List;

import io.vertx.core.buffer.Buffer;

/**
 * Incremental parser for replies from a next-hop SMTP server (RFC 5321 4.2).
 *
 * <p>Input is hostile, so memory is bounded: a line longer than {@code maxLineLength}
 * is cut to that length and the rest skipped up to the next LF (Postfix's smtp_get() with
 * SMTP_GET_FLAG_SKIP, Netty's LineBasedFrameDecoder); at most {@code maxLines} lines of a
 * multi-line reply are kept, the rest read and dropped. Unprintable bytes (controls, 8-bit)
 * become {@code ?}, as Postfix's printable() does in smtpd_proxy_cmd(), so the text can be
 * handed to the edge's client and to logs unchanged.
 *
 * <p>Stricter than Postfix on syntax: Postfix treats any line that does not begin with
 * three digits and a space as a continuation ("ignore unrecognized garbage"); here such a
 * line, a code outside 2xx..5xx, or a code that changes within one multi-line reply is a
 * {@link Listener#onGarbage protocol error}, because the edge cannot tell what the next hop
 * meant and must not guess with someone's mail.
 */
final class ReplyParser {

    interface Listener {
        void onReply(SmtpReply reply);

        /** The stream is not SMTP; the caller should close the connection. */
        void onGarbage(String why);
    }

    private final Listener listener;
    private final int maxLineLength;
    private final int maxLines;

    /* Current line: up to maxLineLength + 1 bytes (room for the CR before LF). */
    private final byte[] line;
    private int length;

    /* Current multi-line reply. */
    private int code = -1;
    private int lineCount;
    private final List<String> texts = new ArrayList<>();
    private boolean failed;

    ReplyParser(Listener listener, int maxLineLength, int maxLines) {
        this.listener = listener;
        this.maxLineLength = maxLineLength;
        this.maxLines = maxLines;
        this.line = new byte[maxLineLength + 1];
    }

    void feed(Buffer data) {
        int n = data.length();
        for (int i = 0; i < n && !failed; i++) {
            byte b = data.getByte(i);
            if (b == '\n') {
                endOfLine();
            } else if (length < line.length) {
                line[length++] = b;
            }
            // else: past the limit, skipped up to the next LF
        }
    }

    private void endOfLine() {
        int n = length;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        if (n > maxLineLength) {
            n = maxLineLength;
        }
        length = 0;

        if (n < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) {
            garbage("reply line does not start with a 3-digit code: \"" + printable(0, Math.min(n, 40)) + "\"");
            return;
        }
        int c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (c < 200 || c > 599) {
            garbage("reply code out of range: " + c);
            return;
        }
        byte sep = n > 3 ? line[3] : (byte) ' ';
        if (sep != ' ' && sep != '-') {
            garbage("bad character after reply code " + c);
            return;
        }
        if (code >= 0 && c != code) {
            garbage("reply code changed from " + code + " to " + c + " within one reply");
            return;
        }
        code = c;
        if (lineCount < maxLines) {
            texts.add(n > 4 ? printable(4, n) : "");
        }
        lineCount++;
        if (sep == ' ') {
            SmtpReply reply = build(c, texts);
            code = -1;
            lineCount = 0;
            texts.clear();
            listener.onReply(reply);
        }
    }

    /**
     * Splits off the enhanced status code of the first line (RFC 2034), when there is one
     * whose class matches the reply code, and strips the same code from the other lines.
     */
    static SmtpReply build(int code, List<String> texts) {
        String first = texts.get(0);
        String enhanced = null;
        int sp = first.indexOf(' ');
        String candidate = sp < 0 ? first : first.substring(0, sp);
        if (SmtpReply.ENHANCED.matcher(candidate).matches() && candidate.charAt(0) - '0' == code / 100) {
            enhanced = candidate;
        }
        List<String> lines = new ArrayList<>(texts.size());
        for (String t : texts) {
            if (enhanced != null && t.startsWith(enhanced)
                    && (t.length() == enhanced.length() || t.charAt(enhanced.length()) == ' ')) {
                t = t.length() == enhanced.length() ? "" : t.substring(enhanced.length() + 1);
            }
            lines.add(t);
        }
        return new SmtpReply(code, enhanced, lines);
    }

    private void garbage(String why) {
        failed = true;
        listener.onGarbage(why);
    }

    private String printable(int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            int b = line[i] & 0xff;
            sb.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return sb.toString();
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }
}
