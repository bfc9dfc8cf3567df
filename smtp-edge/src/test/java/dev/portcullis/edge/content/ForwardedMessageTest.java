package dev.portcullis.edge.content;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The filter's edits applied to the bytes the edge forwards, and dot-stuffing for the wire. */
class ForwardedMessageTest {

    private static ContentVerdict accept(List<String> addHeaders, ContentVerdict.Edit... edits) {
        return new ContentVerdict("ACCEPT", null, null, addHeaders, List.of(edits), List.of(), null, null, null,
                List.of());
    }

    private static String apply(String message, ContentVerdict v, List<String> extra) {
        return ForwardedMessage.apply(Buffer.buffer(message), v, extra).message().toString();
    }

    @Test
    void editsApplyAtTheirOffsetsWithPrependBeforeAReplaceAtTheSameOffset() {
        String m = "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody\r\n";
        int b = m.indexOf("B: 2");
        int c = m.indexOf("C: 3");
        String out = apply(m, accept(List.of("X-Top: t"),
                new ContentVerdict.Edit("REPLACE", b, 6, "B: two\r\n", "r:1"),
                new ContentVerdict.Edit("PREPEND", b, 0, "P: p", "r:2"),
                new ContentVerdict.Edit("DELETE", c, 6, null, "r:3")), List.of("X-Portcullis-Bcc: x@y"));
        assertEquals("X-Top: t\r\nX-Portcullis-Bcc: x@y\r\nA: 1\r\nP: p\r\nB: two\r\n\r\nbody\r\n", out);
    }

    @Test
    void anEmptyPrependIsAnEmptyLine() {
        String m = "Subject: x\r\nnot a header line\r\nbody\r\n";
        int at = m.indexOf("not a header");
        assertEquals("Subject: x\r\n\r\nnot a header line\r\nbody\r\n",
                apply(m, accept(List.of(), new ContentVerdict.Edit("PREPEND", at, 0, "", "cleanup")), List.of()));
    }

    @Test
    void editsThatDoNotFitAreDroppedAndCounted() {
        String m = "A: 1\r\n\r\nb\r\n";
        ForwardedMessage.Result r = ForwardedMessage.apply(Buffer.buffer(m), accept(List.of(),
                new ContentVerdict.Edit("DELETE", 0, 6, null, "ok"),
                new ContentVerdict.Edit("DELETE", 3, 2, null, "overlaps"),
                new ContentVerdict.Edit("REPLACE", 9, 100, "x", "beyond the end"),
                new ContentVerdict.Edit("DELETE", -1, 1, null, "negative")), List.of());
        assertEquals(3, r.dropped());
        assertEquals("\r\nb\r\n", r.message().toString());
    }

    @Test
    void headerLinesFromTheFilterCannotInjectLines() {
        assertEquals("X-A: a  b\r\nbody\r\n", apply("body\r\n", accept(List.of("X-A: a\r\nb")), List.of()));
    }

    @Test
    void dotStuffingDoublesLeadingDotsOnly() {
        assertEquals("..a\r\nb.c\r\n...\r\n.\r\n".replace(".\r\n.", ".\r\n."),
                ForwardedMessage.dotStuffed(Buffer.buffer(".a\r\nb.c\r\n..\r\n")).toString() + ".\r\n");
        assertEquals("x\r\n..\r\n", ForwardedMessage.dotStuffed(Buffer.buffer("x\r\n.\r\n")).toString());
    }
}
