package dev.portcullis.events;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network: the address with its host bits zero and a prefix length. The
 * canonical text form is what {@link Decision#cidr()} and the record keys of
 * {@link Topics#DECISIONS} use: {@code 192.0.2.0/24}, {@code 192.0.2.7/32},
 * {@code 2001:db8::/64} (RFC 5952 lower case, zeros compressed), so one network has one key.
 *
 * <p>Parsing is strict and never touches DNS: only address literals, with an optional
 * {@code /len}; an address with host bits set under its prefix ({@code 192.0.2.7/24}) is
 * refused rather than silently widened, because an operator who typed it meant something.
 * IPv4-mapped IPv6 addresses ({@code ::ffff:192.0.2.7}) are refused too: a client's address
 * is always taken in its native family, so such a key could never match.
 */
public final class Cidr {

    private static final IPAddressStringParameters STRICT = new IPAddressStringParameters.Builder()
            .allowEmpty(false).allowAll(false).allowMask(false).allowPrefix(false).allowSingleSegment(false)
            .allow_inet_aton(false).allowWildcardedSeparator(false).setRangeOptions(
                    IPAddressStringParameters.RangeParameters.NO_RANGE)
            .toParams();

    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses {@code a.b.c.d[/len]} or an IPv6 literal {@code [/len]}; a bare address is a
     * single host (/32, /128).
     *
     * @throws IllegalArgumentException with the reason, the input cut short and printable
     */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty network");
        }
        String t = text.strip();
        if (t.length() > 64) {
            throw new IllegalArgumentException("not an IP address or CIDR network: " + printable(t));
        }
        Cidr canonical = canonicalIpv4(t);
        if (canonical != null) {
            return canonical;
        }
        return general(t);
    }

    /** What {@link #parse} does for text the canonical IPv4 reader does not take: the strict ipaddress rules. */
    static Cidr general(String t) {
        int slash = t.indexOf('/');
        String host = slash < 0 ? t : t.substring(0, slash);
        IPAddress addr;
        try {
            addr = new IPAddressString(host, STRICT).toAddress();
        } catch (AddressStringException | RuntimeException e) {
            addr = null;
        }
        if (addr == null || addr.getNetworkPrefixLength() != null) {
            throw new IllegalArgumentException("not an IP address or CIDR network: " + printable(t));
        }
        if (addr.isIPv6() && addr.toIPv6().isIPv4Mapped()) {
            throw new IllegalArgumentException("an IPv4-mapped IPv6 address never matches a client: "
                    + printable(t) + "; use the IPv4 form");
        }
        int bits = addr.getBitCount();
        int p = bits;
        if (slash >= 0) {
            String len = t.substring(slash + 1);
            if (!len.matches("[0-9]{1,3}") || Integer.parseInt(len) > bits) {
                throw new IllegalArgumentException("bad prefix length in " + printable(t) + ": 0-" + bits
                        + " for an IPv" + (bits == 32 ? "4" : "6") + " network");
            }
            p = Integer.parseInt(len);
        }
        byte[] given = addr.getBytes();
        byte[] masked = mask(given, p);
        if (!Arrays.equals(given, masked)) {
            throw new IllegalArgumentException("host bits set in " + printable(t) + "; the network is "
                    + new Cidr(masked, p));
        }
        return new Cidr(masked, p);
    }

    /**
     * The network {@code t} names when it is in canonical IPv4 form ({@code a.b.c.d} or
     * {@code a.b.c.d/len}: decimal octets 0-255 and a length 0-32, no leading zeros, no host
     * bits set), else null for {@link #general} to decide. The keys of {@link Topics#DECISIONS}
     * are in this form, and an edge parses every one of them at start; the ipaddress library's
     * general parser costs several times this per key. On the text it takes it agrees with the
     * general parser, which {@code CidrTest} checks side by side.
     */
    static Cidr canonicalIpv4(String t) {
        int n = t.length();
        int i = 0;
        int address = 0;
        for (int octet = 0; octet < 4; octet++) {
            if (octet > 0) {
                if (i >= n || t.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
            int start = i;
            int v = 0;
            while (i < n && i - start < 4 && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                v = v * 10 + (t.charAt(i++) - '0');
            }
            int len = i - start;
            if (len == 0 || len > 3 || v > 255 || (len > 1 && t.charAt(start) == '0')) {
                return null;
            }
            address = address << 8 | v;
        }
        int prefix = 32;
        if (i < n) {
            if (t.charAt(i) != '/') {
                return null;
            }
            int start = ++i;
            int v = 0;
            while (i < n && i - start < 3 && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                v = v * 10 + (t.charAt(i++) - '0');
            }
            int len = i - start;
            if (i != n || len == 0 || len > 2 || v > 32 || (len > 1 && t.charAt(start) == '0')) {
                return null;
            }
            prefix = v;
        }
        if (prefix < 32 && (address & (-1 >>> prefix)) != 0) {
            return null; // host bits set: the general path says which network was meant
        }
        return new Cidr(new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8),
                (byte) address}, prefix);
    }

    /** The single-host network of {@code address}. */
    public static Cidr host(InetAddress address) {
        byte[] b = address.getAddress();
        return new Cidr(b, b.length * 8);
    }

    /** The network of {@code prefix} bits that contains {@code address}. */
    public static Cidr of(InetAddress address, int prefix) {
        byte[] b = address.getAddress();
        if (prefix < 0 || prefix > b.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefix + " out of range for " + address);
        }
        return new Cidr(mask(b, prefix), prefix);
    }

    /** The canonical text form of {@code text} (see the class comment). */
    public static String canonical(String text) {
        return parse(text).toString();
    }

    public boolean isIpv6() {
        return network.length == 16;
    }

    public int prefix() {
        return prefix;
    }

    /** The network address (host bits zero), a fresh copy. */
    public byte[] networkBytes() {
        return network.clone();
    }

    /** Whether {@code address} (same family) lies in this network. */
    public boolean contains(InetAddress address) {
        byte[] b = address.getAddress();
        return b.length == network.length && Arrays.equals(mask(b, prefix), network);
    }

    static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 131 + prefix;
    }

    @Override
    public String toString() {
        try {
            String a = InetAddress.getByAddress(network).getHostAddress();
            if (network.length == 16) {
                a = new IPAddressString(a).getAddress().toCanonicalString();
            }
            return a + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
