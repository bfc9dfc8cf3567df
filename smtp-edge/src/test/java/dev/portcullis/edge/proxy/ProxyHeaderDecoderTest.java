package dev.portcullis.edge.proxy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoder fed whole and byte by byte; input on the left, the verdict on the right. */
class ProxyHeaderDecoderTest {

    private static final byte[] SIG = ProxyHeaderDecoder.V2_SIGNATURE;

    /** Feeds one byte at a time; returns the first result that is not NeedMore (or the last NeedMore). */
    private static ProxyHeaderDecoder.Result byteByByte(byte[] input) {
        ProxyHeaderDecoder d = new ProxyHeaderDecoder(4096);
        ProxyHeaderDecoder.Result r = null;
        for (byte b : input) {
            r = d.feed(Buffer.buffer(new byte[]{b}));
            if (!(r instanceof ProxyHeaderDecoder.NeedMore)) {
                return r;
            }
        }
        return r;
    }

    private static ProxyHeaderDecoder.Result whole(byte[] input) {
        return new ProxyHeaderDecoder(4096).feed(Buffer.buffer(input));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void v1WholeKeepsWhatFollows() {
        ProxyHeaderDecoder.Decoded d = assertInstanceOf(ProxyHeaderDecoder.Decoded.class,
                whole(ascii("PROXY TCP4 203.0.113.1 192.0.2.1 65535 0\r\nEHLO x\r\n")));
        assertEquals("203.0.113.1", d.header().source().getAddress().getHostAddress());
        assertEquals(65535, d.header().source().getPort());
        assertEquals(0, d.header().destination().getPort());
        assertEquals("EHLO x\r\n", d.rest().toString(StandardCharsets.US_ASCII));
    }

    @Test
    void v1ByteByByte() {
        ProxyHeaderDecoder.Decoded d = assertInstanceOf(ProxyHeaderDecoder.Decoded.class,
                byteByByte(ascii("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 25\r\n")));
        assertEquals("2001:db8:0:0:0:0:0:1", d.header().source().getAddress().getHostAddress());
        assertEquals(0, d.rest().length());
    }

    @Test
    void wrongFirstBytesFailAtOnce() {
        assertInstanceOf(ProxyHeaderDecoder.NeedMore.class, byteByByte(ascii("PRO")));
        assertInstanceOf(ProxyHeaderDecoder.NeedMore.class, byteByByte(ascii("PROXY")));
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, byteByByte(ascii("PROXX")));
        assertEquals("not a PROXY protocol header", ((ProxyHeaderDecoder.Malformed) byteByByte(
                ascii("GET / HTTP/1.0\r\n"))).problem(), "refused at the first byte");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, byteByByte(new byte[]{0x0D, 0x0A, 0x0D, 0x0A, 0x01}));
    }

    @Test
    void v1Malformed() {
        String[] bad = {
                "PROXY TCP4 203.0.113.1 192.0.2.1 1 25\n",          // bare LF
                "PROXY TCP4 203.0.113.1 192.0.2.1 1 25\rX\n",       // CR without LF
                "PROXY TCP4 203.0.113.01 192.0.2.1 1 25\r\n",       // leading zero (octal?)
                "PROXY TCP4 203.0.113 192.0.2.1 1 25\r\n",          // short form
                "PROXY TCP4 203.0.113.1 192.0.2.1 65536 25\r\n",    // port out of range
                "PROXY TCP4 203.0.113.1 192.0.2.1 -1 25\r\n",
                "PROXY TCP4 203.0.113.1 192.0.2.1 1 25 extra\r\n",
                "PROXY TCP4 mx.example 192.0.2.1 1 25\r\n",         // never a DNS name
                "PROXY TCP6 2001:db8::g 2001:db8::1 1 25\r\n",
                "PROXY TCP6 203.0.113.1 2001:db8::1 1 25\r\n",      // family mismatch
                "PROXY UDP4 203.0.113.1 192.0.2.1 1 25\r\n",
                "PROXY TCP4 203.0.113.1\t192.0.2.1 1 25\r\n",
                "PROXY TCP4 203.0.113.1 192.0.2.1 1 25\u00e9\r\n",
                "PROXY " + "A".repeat(120)};
        for (String b : bad) {
            assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(ascii(b)), b);
            assertInstanceOf(ProxyHeaderDecoder.Malformed.class, byteByByte(ascii(b)), b);
        }
        assertTrue(((ProxyHeaderDecoder.Malformed) whole(ascii("PROXY " + "A".repeat(120)))).problem()
                .contains("longer than 107"));
    }

    private static byte[] v2(int verCmd, int fam, byte[] body) {
        byte[] h = new byte[16 + body.length];
        System.arraycopy(SIG, 0, h, 0, 12);
        h[12] = (byte) verCmd;
        h[13] = (byte) fam;
        h[14] = (byte) (body.length >> 8);
        h[15] = (byte) body.length;
        System.arraycopy(body, 0, h, 16, body.length);
        return h;
    }

    @Test
    void v2ByteByByteWithTlvsSkipped() {
        byte[] body = new byte[12 + 7];
        body[0] = (byte) 203; body[1] = 0; body[2] = 113; body[3] = 5;   // src
        body[4] = (byte) 192; body[5] = 0; body[6] = 2; body[7] = 1;     // dst
        body[8] = (byte) 0xC3; body[9] = 0x50;                           // sport 50000
        body[10] = 0; body[11] = 25;
        body[12] = 0x04; body[13] = 0; body[14] = 4;                     // NOOP TLV, 4 bytes
        ProxyHeaderDecoder.Decoded d = assertInstanceOf(ProxyHeaderDecoder.Decoded.class,
                byteByByte(v2(0x21, 0x11, body)));
        assertEquals("203.0.113.5", d.header().source().getAddress().getHostAddress());
        assertEquals(50000, d.header().source().getPort());
        assertEquals(2, d.header().version());
    }

    @Test
    void v2LocalUnspecAndRefusals() {
        assertEquals(ProxyHeader.Command.LOCAL, assertInstanceOf(ProxyHeaderDecoder.Decoded.class,
                whole(v2(0x20, 0x00, new byte[0]))).header().command());
        assertEquals(ProxyHeader.Command.LOCAL, assertInstanceOf(ProxyHeaderDecoder.Decoded.class,
                whole(v2(0x21, 0x00, new byte[3]))).header().command(), "AF_UNSPEC");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x11, 0x11, new byte[12])), "version 1 in v2");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x22, 0x11, new byte[12])), "command 2");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x21, 0x11, new byte[11])), "short IPv4");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x21, 0x21, new byte[35])), "short IPv6");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x21, 0x12, new byte[12])), "UDP");
        assertInstanceOf(ProxyHeaderDecoder.Malformed.class, whole(v2(0x21, 0x31, new byte[216])), "AF_UNIX");
        byte[] huge = v2(0x21, 0x11, new byte[0]);
        huge[14] = (byte) 0xFF;
        huge[15] = (byte) 0xFF;
        assertTrue(((ProxyHeaderDecoder.Malformed) whole(huge)).problem().contains("longer than 4096"),
                "refused from the length field, without waiting for 64 KiB");
    }
}
