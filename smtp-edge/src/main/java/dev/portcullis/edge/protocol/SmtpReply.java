package dev.portcullis.edge.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import io.vertx.core.buffer.Buffer;

/**
 * One SMTP reply: a three-digit code, an optional RFC 3463 enhanced status code, and one or
 * more text lines (without code and without the enhanced code, which {@link #toWire()} puts
 * back on every line, as RFC 2034 section 4 asks).
 *
 * <p>Same shape as the edge's own reply type, so one converts into the other field by field.
 * Lines may not contain CR or LF: a reply is rendered line by line and a stray line break
 * would let the next hop (or a bug) inject a reply of its own.
 */
public record SmtpReply(int code, String enhanced, List<String> lines) {

    /** RFC 3463: class.subject.detail, subject and detail 1 to 3 digits. */
    public static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code out of range 200..599: " + code);
        }
        if (enhanced != null) {
            if (!ENHANCED.matcher(enhanced).matches()) {
                throw new IllegalArgumentException("bad enhanced status code: " + Untrusted.printable(enhanced, 40));
            }
            if (enhanced.charAt(0) - '0' != code / 100) {
                throw new IllegalArgumentException("enhanced status " + enhanced + " does not match " + code);
            }
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
        for (String line : lines) {
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0 || line.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("reply line contains CR, LF or NUL");
            }
        }
    }

    public static SmtpReply of(int code, String enhanced, String... lines) {
        return new SmtpReply(code, enhanced, List.of(lines));
    }

    /** 4xx or 5xx: counts as an error for the tarpit. */
    public boolean isError() {
        return code >= 400;
    }

    /** 421 and 521 end the session, as in Postfix. */
    public boolean closesSession() {
        return code == 421 || code == 521;
    }

    /** 2xx: the command was accepted. */
    public boolean isPositive() {
        return code / 100 == 2;
    }

    /** 3xx: go on (354 after DATA). */
    public boolean isIntermediate() {
        return code / 100 == 3;
    }

    /** 4xx: try again later. */
    public boolean isTransient() {
        return code / 100 == 4;
    }

    /** 5xx: do not try again. */
    public boolean isPermanent() {
        return code / 100 == 5;
    }

    /** The first line without the code, as in a log line ("5.7.1 <x>: Relay access denied"). */
    public String text() {
        return enhanced == null ? lines.get(0) : enhanced + " " + lines.get(0);
    }

    /**
     * RFC 5321 4.2.1 wire form: {@code 250-first\r\n250 last\r\n}. An empty last line
     * without enhanced code renders as the bare code, which the grammar allows.
     */
    public String toWire() {
        StringBuilder sb = new StringBuilder(16 + 64 * lines.size());
        for (int i = 0; i < lines.size(); i++) {
            boolean last = i == lines.size() - 1;
            sb.append(code);
            String line = lines.get(i);
            if (enhanced != null) {
                sb.append(last ? ' ' : '-').append(enhanced);
                if (!line.isEmpty()) {
                    sb.append(' ').append(line);
                }
            } else if (!line.isEmpty()) {
                sb.append(last ? ' ' : '-').append(line);
            } else if (!last) {
                sb.append('-');
            }
            sb.append("\r\n");
        }
        return sb.toString();
    }

    /** {@link #toWire()} as bytes to write to a socket. */
    public Buffer toBuffer() {
        return Buffer.buffer(toWire().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return code + " " + text();
    }
}
