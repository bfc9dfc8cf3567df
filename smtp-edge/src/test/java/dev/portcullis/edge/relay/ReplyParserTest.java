package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.core.buffer.Buffer;

/** Feeds the real parser whole, byte-by-byte and malformed input, as Netty's EmbeddedChannel tests do. */
class ReplyParserTest {

    private final List<SmtpReply> replies = new ArrayList<>();
    private final List<String> garbage = new ArrayList<>();
    private final ReplyParser parser = parser(512, 10);

    private ReplyParser parser(int maxLen, int maxLines) {
        return new ReplyParser(new ReplyParser.Listener() {
            @Override
            public void onReply(SmtpReply reply) {
                replies.add(reply);
            }

            @Override
            public void onGarbage(String why) {
                garbage.add(why);
            }
        }, maxLen, maxLines);
    }

    private static Buffer bytes(String s) {
        return Buffer.buffer(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void multiLineReplyFedOneByteAtATime() {
        String wire = "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
        for (byte b : wire.getBytes(StandardCharsets.US_ASCII)) {
            parser.feed(Buffer.buffer(new byte[] {b}));
        }
        assertEquals(List.of(SmtpReply.of(250, null, "mx.example", "PIPELINING", "SIZE 10240000", "8BITMIME")), replies);
        assertEquals(wire, replies.get(0).toWire());
    }

    @Test
    void enhancedCodeSplitOffEveryLineAndPutBackOnTheWire() {
        parser.feed(bytes("550-5.1.1 <x@y>: Recipient address rejected:\r\n550 5.1.1 User unknown\r\n"));
        SmtpReply r = replies.get(0);
        assertEquals(550, r.code());
        assertEquals("5.1.1", r.enhanced());
        assertEquals(List.of("<x@y>: Recipient address rejected:", "User unknown"), r.lines());
        assertEquals("550-5.1.1 <x@y>: Recipient address rejected:\r\n550 5.1.1 User unknown\r\n", r.toWire());
        assertTrue(r.isPermanent());
    }

    @Test
    void enhancedCodeOfTheWrongClassIsText() {
        parser.feed(bytes("450 5.1.1 odd\r\n"));
        assertNull(replies.get(0).enhanced());
        assertEquals("5.1.1 odd", replies.get(0).lines().get(0));
    }

    @Test
    void severalRepliesInOneChunkAndBareLfAndCodeOnly() {
        parser.feed(bytes("220 hi\n250\r\n354 go ahead\r\n"));
        assertEquals(3, replies.size());
        assertEquals("", replies.get(1).lines().get(0));
        assertEquals("250\r\n", replies.get(1).toWire());
        assertEquals(354, replies.get(2).code());
    }

    @Test
    void overlongLineIsCutNotBuffered() {
        ReplyParser small = parser(512, 10);
        small.feed(bytes("550 " + "x".repeat(100_000)));
        small.feed(bytes("yyyy\r\n"));
        assertEquals(1, replies.size());
        assertEquals(512 - 4, replies.get(0).lines().get(0).length());
    }

    @Test
    void linesBeyondTheLimitAreDropped() {
        ReplyParser few = parser(512, 3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            sb.append("250-line").append(i).append("\r\n");
        }
        few.feed(bytes(sb.append("250 end\r\n").toString()));
        assertEquals(List.of("line0", "line1", "line2"), replies.get(0).lines());
    }

    @Test
    void unprintableBytesAreCensored() {
        parser.feed(bytes("554 bad\u0000\u001b[31m\u00e9\r\n"));
        assertEquals("bad??[31m?", replies.get(0).lines().get(0));
    }

    @Test
    void garbageIsReportedNotThrown() {
        for (String wire : List.of("hello\r\n", "25\r\n", "2500 x\r\n", "250_x\r\n", "199 x\r\n", "600 x\r\n",
                "250-a\r\n251 b\r\n", "HTTP/1.1 400 Bad Request\r\n")) {
            replies.clear();
            garbage.clear();
            ReplyParser p = parser(512, 10);
            p.feed(bytes(wire));
            assertEquals(List.of(), replies, wire);
            assertEquals(1, garbage.size(), wire);
            p.feed(bytes("250 ok\r\n"));
            assertEquals(List.of(), replies, "nothing is parsed after garbage");
        }
    }

    @Test
    void smtpReplyRefusesInjectedLineBreaksAndBadCodes() {
        assertThrows(IllegalArgumentException.class, () -> SmtpReply.of(250, null, "ok\r\n250 more"));
        assertThrows(IllegalArgumentException.class, () -> SmtpReply.of(99, null, "x"));
        assertThrows(IllegalArgumentException.class, () -> SmtpReply.of(451, "5.3.0", "x"));
        assertThrows(IllegalArgumentException.class, () -> new SmtpReply(250, null, List.of()));
    }
}
