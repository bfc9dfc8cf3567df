package dev.portcullis.reputation;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv6.IPv6Address;

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
