package dev.portcullis.content.check;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Applies a verdict's rewrites to the original message, as the edge does before forwarding:
 * {@link Verdict#addHeaders()} first (each + CRLF), then the message with every
 * {@link Verdict.Edit} applied - DELETE drops {@code length} bytes at {@code offset}, REPLACE
 * puts {@code text} + CRLF in their place, PREPEND inserts {@code text} + CRLF at
 * {@code offset}. Edits are sorted and do not overlap.
 */
public final class Rewriter {

    private static final byte[] CRLF = {'\r', '\n'};

    private Rewriter() {
    }

    public static byte[] apply(byte[] message, Verdict verdict) {
        return apply(message, verdict.addHeaders(), verdict.edits());
    }

    public static byte[] apply(byte[] message, List<String> addHeaders, List<Verdict.Edit> edits) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 256);
        for (String h : addHeaders) {
            out.writeBytes(h.getBytes(StandardCharsets.UTF_8));
            out.writeBytes(CRLF);
        }
        int at = 0;
        for (Verdict.Edit e : edits) {
            int offset = Math.toIntExact(e.offset());
            if (offset < at || offset + e.length() > message.length) {
                throw new IllegalArgumentException("edit out of order or out of range: " + e);
            }
            out.write(message, at, offset - at);
            if (e.text() != null) {
                out.writeBytes(e.text().getBytes(StandardCharsets.UTF_8));
                out.writeBytes(CRLF);
            }
            at = offset + Math.toIntExact(e.length());
        }
        out.write(message, at, message.length - at);
        return out.toByteArray();
    }
}
