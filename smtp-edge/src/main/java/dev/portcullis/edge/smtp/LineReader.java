package dev.portcullis.edge.smtp;

import io.vertx.core.buffer.Buffer;

/**
 * Splits the client's byte stream into SMTP lines without ever holding more than
 * {@code lineLengthLimit} bytes of one line (Postfix {@code line_length_limit}).
 *
 * <p>A line ends at LF; {@link Line#terminator()} says whether a CR came before it, so the
 * session can tell CR LF from a bare LF (SMTP smuggling, {@code smtpd_forbid_bare_newline}).
 * A CR that is not followed by LF is ordinary content.
 *
 * <p>Overlong lines: in command mode the first {@code lineLengthLimit} bytes are kept, the
 * rest is discarded up to the next LF, and the line is returned marked
 * {@link Line#overlong()} (Netty's LineBasedFrameDecoder discards the same way). In data mode
 * a long line is handed on in fragments of at most the limit, because a message line that
 * Postfix accepts must reach the next hop intact.
 *
 * <p>Not thread-safe: one reader per session, used on the session's event loop.
 */
public final class LineReader {

    /** How a returned piece of input ended. */
    public enum Terminator {
        /** CR LF: a proper SMTP line end. */
        CRLF,
        /** LF without CR before it. */
        BARE_LF,
        /** No line end yet: a fragment of a long DATA line; more of the same line follows. */
        NONE
    }

    /** One line (or DATA fragment) without its terminator. */
    public record Line(byte[] bytes, Terminator terminator, boolean overlong) {
        public boolean isDot() {
            return bytes.length == 1 && bytes[0] == '.';
        }

        public int wireLength() {
            return bytes.length + switch (terminator) {
                case CRLF -> 2;
                case BARE_LF -> 1;
                case NONE -> 0;
            };
        }
    }

    private final int limit;
    private Buffer pending = Buffer.buffer();
    private int pos;
    /** Command mode: keeping the head of an overlong line, dropping its tail to the next LF. */
    private byte[] truncatedHead;
    private boolean dataMode;

    public LineReader(int lineLengthLimit) {
        if (lineLengthLimit < 2) {
            throw new IllegalArgumentException("line_length_limit too small: " + lineLengthLimit);
        }
        this.limit = lineLengthLimit;
    }

    public void append(Buffer chunk) {
        if (pos > 0 && pos == pending.length()) {
            pending = Buffer.buffer(chunk.length());
            pos = 0;
        } else if (pos > 8192) {
            pending = pending.getBuffer(pos, pending.length());
            pos = 0;
        }
        pending.appendBuffer(chunk);
    }

    /** Switches between command lines and message data (fragments allowed in data). */
    public void dataMode(boolean on) {
        this.dataMode = on;
    }

    /** Bytes received and not yet returned as lines (for back-pressure decisions). */
    public int buffered() {
        return pending.length() - pos;
    }

    /** Up to {@code max} buffered bytes, not consumed (for a log line about pipelined input). */
    public byte[] peek(int max) {
        return pending.getBytes(pos, pos + Math.min(max, buffered()));
    }

    /** Drops everything buffered: input pipelined after STARTTLS must not be executed. */
    public void discardBuffered() {
        pending = Buffer.buffer();
        pos = 0;
        truncatedHead = null;
    }

    /** The next complete line, or null when more input is needed. */
    public Line next() {
        while (true) {
            int end = pending.length();
            int lf = indexOfLf(pos, end);
            if (truncatedHead != null) {
                if (lf < 0) {
                    pos = end; // keep discarding the tail of the overlong line
                    return null;
                }
                byte[] head = truncatedHead;
                truncatedHead = null;
                pos = lf + 1;
                return new Line(head, Terminator.CRLF, true);
            }
            if (lf >= 0) {
                boolean cr = lf > pos && pending.getByte(lf - 1) == '\r';
                int contentEnd = cr ? lf - 1 : lf;
                if (contentEnd - pos > limit && !dataMode) {
                    byte[] head = pending.getBytes(pos, pos + limit);
                    pos = lf + 1;
                    return new Line(head, cr ? Terminator.CRLF : Terminator.BARE_LF, true);
                }
                if (contentEnd - pos > limit) {
                    return fragment();
                }
                byte[] bytes = pending.getBytes(pos, contentEnd);
                pos = lf + 1;
                return new Line(bytes, cr ? Terminator.CRLF : Terminator.BARE_LF, false);
            }
            if (end - pos <= limit) {
                return null;
            }
            if (dataMode) {
                return fragment();
            }
            truncatedHead = pending.getBytes(pos, pos + limit);
            pos = end;
        }
    }

    /** A piece of a long DATA line; never splits a CR from the LF that may follow it. */
    private Line fragment() {
        int cut = pos + limit;
        if (pending.getByte(cut - 1) == '\r') {
            cut--;
        }
        byte[] bytes = pending.getBytes(pos, cut);
        pos = cut;
        return new Line(bytes, Terminator.NONE, false);
    }

    private int indexOfLf(int from, int to) {
        for (int i = from; i < to; i++) {
            if (pending.getByte(i) == '\n') {
                return i;
            }
        }
        return -1;
    }
}
