package dev.portcullis.edge.content;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The message the edge forwards after a content check: the bytes the client sent (the edge's
 * Received header first, dot-unstuffed, CRLF lines) with the filter's edits applied, its
 * extra headers on top, and SMTP dot-stuffing added for the wire.
 *
 * <p>Edits (IGNORE, REPLACE, PREPEND of header_checks and body_checks) come as byte ranges of
 * the message as sent; they are applied from the last to the first so that offsets stay
 * valid. An edit that does not fit (beyond the end, overlapping the one before) is dropped
 * and counted by the caller rather than corrupting the message.
 */
public final class ForwardedMessage {

    private ForwardedMessage() {
    }

    /** The result and how many edits could not be applied. */
    public record Result(Buffer message, int dropped) {
    }

    /**
     * Applies {@code verdict}'s edits and extra headers to {@code original}.
     * {@code envelopeHeaders} are lines the edge adds for actions it cannot carry out itself
     * (REDIRECT, BCC), for the next hop to act on.
     */
    public static Result apply(Buffer original, ContentVerdict verdict, List<String> envelopeHeaders) {
        List<ContentVerdict.Edit> edits = new ArrayList<>(verdict.edits());
        // by offset; at one offset a PREPEND (inserting before) comes before what replaces or deletes there
        edits.sort(Comparator.comparingLong(ContentVerdict.Edit::offset)
                .thenComparing(e -> "PREPEND".equals(e.kind()) ? 0 : 1));
        int dropped = 0;
        long limit = original.length();
        List<ContentVerdict.Edit> usable = new ArrayList<>();
        long end = 0;
        for (ContentVerdict.Edit e : edits) {
            long length = "PREPEND".equals(e.kind()) ? 0 : e.length();
            if (e.offset() < end || e.offset() < 0 || length < 0 || e.offset() + length > limit) {
                dropped++;
                continue;
            }
            usable.add(e);
            end = e.offset() + length;
        }
        Buffer out = Buffer.buffer(original.length() + 256);
        for (String h : verdict.addHeaders()) {
            out.appendString(line(h), "UTF-8");
        }
        for (String h : envelopeHeaders) {
            out.appendString(line(h), "UTF-8");
        }
        int pos = 0;
        for (ContentVerdict.Edit e : usable) {
            out.appendBuffer(original, pos, (int) e.offset() - pos);
            pos = (int) e.offset();
            switch (e.kind() == null ? "" : e.kind()) {
                case "DELETE" -> pos += (int) e.length();
                case "REPLACE" -> {
                    out.appendBytes(crlf(e.text()));
                    pos += (int) e.length();
                }
                case "PREPEND" -> out.appendBytes(crlf(e.text()));
                default -> {
                    // unknown kind: leave the bytes as they were
                }
            }
        }
        out.appendBuffer(original, pos, original.length() - pos);
        return new Result(out, dropped);
    }

    /** SMTP dot-stuffing (RFC 5321 4.5.2): a line that starts with "." gets another. */
    public static Buffer dotStuffed(Buffer message) {
        Buffer out = Buffer.buffer(message.length() + 64);
        boolean lineStart = true;
        int from = 0;
        for (int i = 0; i < message.length(); i++) {
            byte b = message.getByte(i);
            if (lineStart && b == '.') {
                out.appendBuffer(message, from, i - from);
                out.appendByte((byte) '.');
                from = i;
            }
            lineStart = b == '\n';
        }
        out.appendBuffer(message, from, message.length() - from);
        return out;
    }

    /**
     * Text whose lines end in CRLF (the filter sends them so; a bare LF or none is mended). An
     * empty text is one empty line: that is how the filter restores the blank line Postfix's
     * cleanup inserts after a malformed header section.
     */
    static byte[] crlf(String text) {
        if (text == null) {
            return new byte[0];
        }
        if (text.isEmpty()) {
            return new byte[] {'\r', '\n'};
        }
        String t = text.replace("\r\n", "\n").replace("\r", " ").replace("\n", "\r\n");
        if (!t.endsWith("\r\n")) {
            t = t + "\r\n";
        }
        return t.getBytes(StandardCharsets.UTF_8);
    }

    private static String line(String header) {
        String h = header.replace("\r", " ").replace("\n", " ");
        return h + "\r\n";
    }
}
