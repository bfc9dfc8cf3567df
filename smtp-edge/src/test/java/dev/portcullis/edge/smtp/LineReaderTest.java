package dev.portcullis.edge.smtp;

import dev.portcullis.edge.smtp.LineReader.Line;
import dev.portcullis.edge.smtp.LineReader.Terminator;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineReaderTest {

    private static List<Line> drain(LineReader r) {
        List<Line> out = new ArrayList<>();
        for (Line l = r.next(); l != null; l = r.next()) {
            out.add(l);
        }
        return out;
    }

    private static String text(Line l) {
        return new String(l.bytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void splitsPipelinedCommandsAndTellsCrlfFromBareLf() {
        LineReader r = new LineReader(100);
        r.append(Buffer.buffer("EHLO a\r\nMAIL FROM:<x>\nRCPT TO:<y>\r\nDA"));
        List<Line> lines = drain(r);
        assertEquals(3, lines.size());
        assertEquals("EHLO a", text(lines.get(0)));
        assertEquals(Terminator.CRLF, lines.get(0).terminator());
        assertEquals(Terminator.BARE_LF, lines.get(1).terminator());
        assertEquals("RCPT TO:<y>", text(lines.get(2)));
        r.append(Buffer.buffer("TA\r\n"));
        assertEquals("DATA", text(r.next()));
    }

    @Test
    void lineSplitAcrossManyChunksByteByByte() {
        LineReader r = new LineReader(100);
        byte[] input = "NOOP hello\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < input.length - 1; i++) {
            r.append(Buffer.buffer(new byte[]{input[i]}));
            assertNull(r.next(), "no line before the LF");
        }
        r.append(Buffer.buffer(new byte[]{'\n'}));
        Line l = r.next();
        assertEquals("NOOP hello", text(l));
        assertEquals(Terminator.CRLF, l.terminator());
    }

    @Test
    void bareCrIsContentNotALineEnd() {
        LineReader r = new LineReader(100);
        r.append(Buffer.buffer("a\rb\r\n"));
        Line l = r.next();
        assertArrayEquals("a\rb".getBytes(StandardCharsets.US_ASCII), l.bytes());
        assertNull(r.next());
    }

    @Test
    void overlongCommandIsTruncatedAndItsTailDiscardedWithoutBuffering() {
        LineReader r = new LineReader(16);
        r.append(Buffer.buffer("NOOP " + "x".repeat(20)));
        assertNull(r.next());
        // The tail keeps coming; the reader must not hold it.
        for (int i = 0; i < 1000; i++) {
            r.append(Buffer.buffer("y".repeat(1000)));
            assertNull(r.next());
            assertTrue(r.buffered() <= 16, "buffered " + r.buffered());
        }
        r.append(Buffer.buffer("zz\r\nQUIT\r\n"));
        Line l = r.next();
        assertTrue(l.overlong());
        assertEquals(16, l.bytes().length);
        assertEquals("NOOP xxxxxxxxxxx", text(l));
        Line quit = r.next();
        assertEquals("QUIT", text(quit));
        assertFalse(quit.overlong());
    }

    @Test
    void overlongCommandInOneChunkWithItsLineEnd() {
        LineReader r = new LineReader(10);
        r.append(Buffer.buffer("0123456789ABCDEF\r\nNOOP\r\n"));
        Line l = r.next();
        assertTrue(l.overlong());
        assertEquals("0123456789", text(l));
        assertEquals("NOOP", text(r.next()));
    }

    @Test
    void dataModeHandsOnLongLinesInFragmentsAndKeepsEveryByte() {
        LineReader r = new LineReader(10);
        r.dataMode(true);
        String longLine = "abcdefghijklmnopqrstuvwxyz";
        r.append(Buffer.buffer(longLine + "\r\n.\r\n"));
        StringBuilder joined = new StringBuilder();
        Line l;
        int fragments = 0;
        while ((l = r.next()).terminator() == Terminator.NONE) {
            assertTrue(l.bytes().length <= 10);
            joined.append(text(l));
            fragments++;
        }
        joined.append(text(l));
        assertEquals(longLine, joined.toString());
        assertEquals(2, fragments);
        assertTrue(r.next().isDot());
    }

    @Test
    void fragmentNeverSplitsCrFromItsLf() {
        LineReader r = new LineReader(4);
        r.dataMode(true);
        r.append(Buffer.buffer("abc\r"));
        // 4 bytes, no LF yet, not over the limit: wait for more.
        assertNull(r.next());
        r.append(Buffer.buffer("\n"));
        Line l = r.next();
        assertEquals("abc", text(l));
        assertEquals(Terminator.CRLF, l.terminator());
    }

    @Test
    void nulBytesAndBinaryArePassedOnAsBytes() {
        LineReader r = new LineReader(100);
        r.append(Buffer.buffer(new byte[]{'M', 0, (byte) 0xff, '\r', '\n'}));
        assertArrayEquals(new byte[]{'M', 0, (byte) 0xff}, r.next().bytes());
    }

    @Test
    void discardBufferedDropsPipelinedInput() {
        LineReader r = new LineReader(100);
        r.append(Buffer.buffer("STARTTLS\r\nMAIL FROM:<evil>\r\n"));
        assertEquals("STARTTLS", text(r.next()));
        r.discardBuffered();
        assertNull(r.next());
        assertEquals(0, r.buffered());
    }
}
