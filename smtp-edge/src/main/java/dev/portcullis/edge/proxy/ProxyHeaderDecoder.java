package dev.portcullis.edge.proxy;

import io.vertx.core.buffer.Buffer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * A strict, incremental decoder of one PROXY protocol header (v1 and v2, HAProxy's
 * proxy-protocol.txt), fed the connection's first bytes as they arrive.
 *
 * <p>How: the first byte chooses the version ('P' for v1, CR for v2's signature); every byte
 * is checked against the expected signature as soon as it is there, so a client that is not a
 * proxy is refused at its first wrong byte rather than after a timeout. Nothing is buffered
 * beyond the header's limit: v1 is at most 107 bytes (the specification's maximum, CR LF
 * included); v2 at most {@code maxV2Length} bytes (16 fixed bytes, the addresses and the TLVs,
 * which are skipped unread). Bytes after the header are handed back untouched: they are the
 * client's first SMTP bytes.
 *
 * <p>Strict means: v1 fields separated by exactly one space, CR LF and nothing else at the
 * end, addresses in their family's numeric form (never a host name: no DNS lookup is ever
 * made), ports 0-65535 without leading zeros; v2 version 2 only, commands LOCAL and PROXY
 * only, address lengths that fit the family. UDP and AF_UNIX carry no SMTP client and are
 * refused. Not thread-safe: one decoder per connection, on its event loop.
 */
public final class ProxyHeaderDecoder {

    /** The specification's maximum v1 header, "PROXY TCP6 " + two full IPv6 + ports + CR LF. */
    public static final int V1_MAX = 107;
    static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_FIXED = 16;

    /** What one {@link #feed} found. */
    public sealed interface Result permits NeedMore, Decoded, Malformed {
    }

    /** The header is not complete yet. */
    public record NeedMore() implements Result {
    }

    /** The header, and whatever followed it in the same read. */
    public record Decoded(ProxyHeader header, Buffer rest) implements Result {
    }

    /** Not a valid header; {@code problem} is ours, never the peer's bytes. */
    public record Malformed(String problem) implements Result {
    }

    private static final NeedMore NEED_MORE = new NeedMore();

    private final int maxV2Length;
    private final Buffer seen = Buffer.buffer(64);
    private Result finished;

    /** @param maxV2Length the longest v2 header accepted, fixed part and TLVs included (at least 52) */
    public ProxyHeaderDecoder(int maxV2Length) {
        if (maxV2Length < V2_FIXED + 36) {
            throw new IllegalArgumentException("maxV2Length must hold an IPv6 header: " + maxV2Length);
        }
        this.maxV2Length = maxV2Length;
    }

    /** Adds bytes; once a result other than NeedMore is returned, the decoder is done. */
    public Result feed(Buffer chunk) {
        if (finished != null) {
            throw new IllegalStateException("decoder already finished");
        }
        seen.appendBuffer(chunk);
        Result r = decode();
        if (!(r instanceof NeedMore)) {
            finished = r;
        }
        return r;
    }

    private Result decode() {
        byte first = seen.getByte(0);
        if (first == 'P') {
            return v1();
        }
        if (first == V2_SIGNATURE[0]) {
            return v2();
        }
        return new Malformed("not a PROXY protocol header");
    }

    // ------------------------------------------------------------------ v1

    private Result v1() {
        int n = Math.min(seen.length(), V1_PREFIX.length);
        for (int i = 0; i < n; i++) {
            if (seen.getByte(i) != V1_PREFIX[i]) {
                return new Malformed("not a PROXY protocol header");
            }
        }
        int lf = -1;
        int scan = Math.min(seen.length(), V1_MAX);
        for (int i = 0; i < scan; i++) {
            byte b = seen.getByte(i);
            if (b == '\n') {
                lf = i;
                break;
            }
            if (b == '\r' && i + 1 < scan && seen.getByte(i + 1) != '\n') {
                return new Malformed("v1 header: CR not followed by LF");
            }
        }
        if (lf < 0) {
            return seen.length() >= V1_MAX ? new Malformed("v1 header longer than " + V1_MAX + " bytes")
                    : NEED_MORE;
        }
        if (lf == 0 || seen.getByte(lf - 1) != '\r') {
            return new Malformed("v1 header not ended by CR LF");
        }
        String line = seen.getString(0, lf - 1, StandardCharsets.ISO_8859_1.name());
        Buffer rest = seen.getBuffer(lf + 1, seen.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return new Malformed("v1 header: byte " + (int) c + " is not printable ASCII");
            }
        }
        String[] f = line.split(" ", -1);
        if (f.length >= 2 && f[1].equals("UNKNOWN")) {
            // "the receiver must ignore anything presented before the CRLF is found"
            return new Decoded(ProxyHeader.local(1), rest);
        }
        if (f.length != 6) {
            return new Malformed("v1 header: expected \"PROXY TCP4|TCP6 src dst sport dport\"");
        }
        boolean v4;
        if (f[1].equals("TCP4")) {
            v4 = true;
        } else if (f[1].equals("TCP6")) {
            v4 = false;
        } else {
            return new Malformed("v1 header: unknown protocol (not TCP4, TCP6 or UNKNOWN)");
        }
        InetAddress src = v4 ? ipv4(f[2]) : ipv6(f[2]);
        InetAddress dst = v4 ? ipv4(f[3]) : ipv6(f[3]);
        int sport = port(f[4]);
        int dport = port(f[5]);
        if (src == null || dst == null) {
            return new Malformed("v1 header: address is not a numeric " + (v4 ? "IPv4" : "IPv6") + " address");
        }
        if (sport < 0 || dport < 0) {
            return new Malformed("v1 header: port is not a number from 0 to 65535");
        }
        return new Decoded(new ProxyHeader(1, ProxyHeader.Command.PROXY, new InetSocketAddress(src, sport),
                new InetSocketAddress(dst, dport)), rest);
    }

    /** Dotted quad, four decimal parts 0-255 without leading zeros (no octal, no short forms). */
    static InetAddress ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int v = decimal(parts[i], 255);
            if (v < 0) {
                return null;
            }
            bytes[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // four bytes are always a valid length
        }
    }

    /** An IPv6 literal; only hex digits, colons and dots reach the JDK, which then never looks up a name. */
    static InetAddress ipv6(String s) {
        if (s.isEmpty() || s.length() > 45 || s.indexOf(':') < 0) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return null;
            }
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static int port(String s) {
        return decimal(s, 65535);
    }

    private static int decimal(String s, int max) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= max ? v : -1;
    }

    // ------------------------------------------------------------------ v2

    private Result v2() {
        int n = Math.min(seen.length(), V2_SIGNATURE.length);
        for (int i = 0; i < n; i++) {
            if (seen.getByte(i) != V2_SIGNATURE[i]) {
                return new Malformed("not a PROXY protocol header");
            }
        }
        if (seen.length() < V2_FIXED) {
            return NEED_MORE;
        }
        int verCmd = seen.getUnsignedByte(12);
        if ((verCmd >> 4) != 2) {
            return new Malformed("v2 header: version " + (verCmd >> 4) + " (only 2 is defined)");
        }
        int cmd = verCmd & 0x0F;
        if (cmd > 1) {
            return new Malformed("v2 header: command " + cmd + " (only LOCAL and PROXY are defined)");
        }
        int famProto = seen.getUnsignedByte(13);
        int length = seen.getUnsignedShort(14);
        if (V2_FIXED + length > maxV2Length) {
            return new Malformed("v2 header of " + (V2_FIXED + length) + " bytes, longer than " + maxV2Length);
        }
        if (seen.length() < V2_FIXED + length) {
            return NEED_MORE;
        }
        Buffer rest = seen.getBuffer(V2_FIXED + length, seen.length());
        if (cmd == 0) {
            // LOCAL: the proxy's own connection (health check); addresses, if any, are ignored.
            return new Decoded(ProxyHeader.local(2), rest);
        }
        int family = famProto >> 4;
        int transport = famProto & 0x0F;
        if (family == 0) {
            // AF_UNSPEC: unknown client; use the connection's peer, as for v1 UNKNOWN.
            return new Decoded(ProxyHeader.local(2), rest);
        }
        if (transport != 1) {
            return new Malformed("v2 header: transport " + transport + " is not STREAM (TCP)");
        }
        int addressBytes = switch (family) {
            case 1 -> 4;
            case 2 -> 16;
            default -> -1;
        };
        if (addressBytes < 0) {
            return new Malformed("v2 header: address family " + family + " is not INET or INET6");
        }
        if (length < 2 * addressBytes + 4) {
            return new Malformed("v2 header: length " + length + " too short for its address family");
        }
        byte[] src = seen.getBytes(V2_FIXED, V2_FIXED + addressBytes);
        byte[] dst = seen.getBytes(V2_FIXED + addressBytes, V2_FIXED + 2 * addressBytes);
        int sport = seen.getUnsignedShort(V2_FIXED + 2 * addressBytes);
        int dport = seen.getUnsignedShort(V2_FIXED + 2 * addressBytes + 2);
        // TLVs (length beyond the addresses) are skipped: nothing here needs them.
        try {
            // An IPv4-mapped IPv6 address becomes the IPv4 client it stands for, as in the JDK.
            InetAddress s = InetAddress.getByAddress(src);
            InetAddress d = InetAddress.getByAddress(dst);
            return new Decoded(new ProxyHeader(2, ProxyHeader.Command.PROXY, new InetSocketAddress(s, sport),
                    new InetSocketAddress(d, dport)), rest);
        } catch (UnknownHostException e) {
            return new Malformed("v2 header: bad address length");
        }
    }
}
