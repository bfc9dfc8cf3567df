package dev.portcullis.reputation;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv6.IPv6Address;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The names things are kept and published under. An IP is always in canonical text
 * (RFC 5952 for IPv6: {@code 2001:db8::1}; an IPv4-mapped IPv6 address is the IPv4 address),
 * so the same client never has two records; a network is its prefix block in CIDR form.
 * Nothing here resolves a name: text that is not an address literal is refused.
 *
 * <p>Keys in the cache: {@code ip:<address>} for a client, {@code net:<cidr>#<partition>}
 * for one Kafka partition's share of a network (see {@code Aggregator}), {@code top:<partition>}
 * for a partition's worst offenders, {@code meta:...} for bookkeeping.
 */
public final class Subjects {

    public static final String IP = "ip:";
    public static final String NET = "net:";
    public static final String META_PARTITIONS = "meta:partitions";
    public static final String TOP = "top:";

    private Subjects() {
    }

    /** The address in {@code text}, or null if it is not a plain IP address literal. */
    public static IPAddress ip(String text) {
        if (text == null || text.isEmpty() || text.length() > 64) {
            return null;
        }
        IPAddressString s = new IPAddressString(text.trim());
        IPAddress a = s.getAddress();
        if (a == null || a.isPrefixed()) {
            return null;
        }
        if (a.isIPv6() && ((IPv6Address) a).isIPv4Mapped()) {
            return ((IPv6Address) a).getEmbeddedIPv4Address();
        }
        return a;
    }

    /** A client address as ingest needs it: canonical text, its network as CIDR text, the address itself. */
    public record Client(String ip, String network, InetAddress address) {
    }

    /**
     * {@link #ip}, {@link #text} and {@link #network} in one step, or null if {@code text}
     * is not a plain address literal. How: the common case - an IPv4 address in the canonical
     * dotted-quad form (four decimal numbers 0-255, no leading zeros, nothing else) - is read
     * directly, its text already canonical; everything else goes through the address library
     * as before, so both paths name the same client the same way.
     */
    public static Client client(String text, int ipv4Prefix, int ipv6Prefix) {
        long quad = canonicalIpv4(text);
        if (quad != NOT_CANONICAL_IPV4) {
            int v4 = (int) quad;
            byte[] bytes = {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
            int masked = ipv4Prefix == 0 ? 0 : v4 & (-1 << (32 - ipv4Prefix));
            String network = (masked >>> 24) + "." + ((masked >>> 16) & 0xff) + "." + ((masked >>> 8) & 0xff) + "."
                    + (masked & 0xff) + "/" + ipv4Prefix;
            try {
                return new Client(text, network, InetAddress.getByAddress(bytes));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // four bytes are always an address
            }
        }
        IPAddress a = ip(text);
        return a == null ? null : new Client(text(a), network(a, ipv4Prefix, ipv6Prefix), a.toInetAddress());
    }

    static final long NOT_CANONICAL_IPV4 = -1;

    /** The address in a canonical dotted quad as an unsigned 32-bit number, or {@link #NOT_CANONICAL_IPV4}. */
    static long canonicalIpv4(String s) {
        if (s == null) {
            return NOT_CANONICAL_IPV4;
        }
        int n = s.length();
        if (n < 7 || n > 15) {
            return NOT_CANONICAL_IPV4;
        }
        long value = 0;
        int octet = 0;
        int digits = 0;
        int dots = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits > 0 && octet == 0) {
                    return NOT_CANONICAL_IPV4; // a leading zero
                }
                octet = octet * 10 + (c - '0');
                if (++digits > 3 || octet > 255) {
                    return NOT_CANONICAL_IPV4;
                }
            } else if (c == '.' && digits > 0 && ++dots <= 3) {
                value = (value << 8) | octet;
                octet = 0;
                digits = 0;
            } else {
                return NOT_CANONICAL_IPV4;
            }
        }
        if (dots != 3 || digits == 0) {
            return NOT_CANONICAL_IPV4;
        }
        return (value << 8) | octet;
    }

    /** The network {@code text} names in CIDR form, or null. A bare address is not a network. */
    public static IPAddress cidr(String text) {
        if (text == null || text.isEmpty() || text.length() > 64 || !text.contains("/")) {
            return null;
        }
        IPAddress a = new IPAddressString(text.trim()).getAddress();
        if (a == null || !a.isPrefixed()) {
            return null;
        }
        return a.toPrefixBlock();
    }

    public static String text(IPAddress a) {
        return a.toCanonicalString();
    }

    /** The network of {@code ip} at the configured prefix, as CIDR text. */
    public static String network(IPAddress ip, int ipv4Prefix, int ipv6Prefix) {
        return ip.toPrefixBlock(ip.isIPv4() ? ipv4Prefix : ipv6Prefix).toCanonicalString();
    }

    public static String ipKey(String canonicalIp) {
        return IP + canonicalIp;
    }

    public static String topKey(int partition) {
        return TOP + partition;
    }

    public static String shardKey(String cidr, int partition) {
        return NET + cidr + "#" + partition;
    }
}
