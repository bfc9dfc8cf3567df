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
