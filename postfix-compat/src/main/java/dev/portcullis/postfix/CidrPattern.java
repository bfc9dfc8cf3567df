package dev.portcullis.postfix;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.util.Arrays;

/**
 * One address or network pattern as Postfix's cidr_match_parse() reads it, for network lists
 * ({@link NetworkList}) and cidr tables alike: {@code 192.0.2.1}, {@code 192.0.2.0/24},
 * {@code [2001:db8::1]}, {@code [2001:db8::]/32}, {@code [2001:db8::/32]}, and (cidr tables)
 * {@code 2001:db8::/32} without brackets. Addresses are read as glibc's inet_pton(3) reads
 * them (no leading zeros); a network must have its host bits zero.
 *
 * @param network the network, as an ipaddress prefix block
 * @param shown   the pattern as Postfix quotes it in messages (without brackets)
 */
public record CidrPattern(IPAddress network, String shown) {

    /**
     * Parses {@code pattern}.
     *
     * @throws Bad with Postfix's words: "bad address pattern", "bad network value in",
     *             "bad mask value in", "bad mask length in", "non-null host address bits in"
     */
    public static CidrPattern parse(String pattern) throws Bad {
        String address;
        String mask;
        if (!pattern.isEmpty() && pattern.charAt(0) == '[') {
            int close = pattern.indexOf(']');
            if (close < 0) {
                throw new Bad("missing ']' character after " + Printable.quote(pattern));
            }
            String inner = pattern.substring(1, close);
            String rest = pattern.substring(close + 1);
            if (rest.isEmpty()) {
                int slash = inner.indexOf('/');
                address = slash < 0 ? inner : inner.substring(0, slash);
                mask = slash < 0 ? null : inner.substring(slash + 1);
            } else if (rest.charAt(0) == '/') {
                address = inner;
                mask = rest.substring(1);
            } else {
                throw new Bad("garbage after " + Printable.quote("[" + inner + "]"));
            }
        } else {
            int slash = pattern.indexOf('/');
            address = slash < 0 ? pattern : pattern.substring(0, slash);
            mask = slash < 0 ? null : pattern.substring(slash + 1);
        }
        String shown = mask == null ? address : address + "/" + mask; // Postfix shows it without []
        byte[] bytes = address.indexOf(':') >= 0 ? InetPton.v6(address) : InetPton.v4(address);
        if (bytes == null) {
            throw new Bad(mask == null ? "bad address pattern: " + Printable.quote(shown)
                    : "bad network value in " + Printable.quote(shown));
        }
        IPAddress ip = bytes.length == 4 ? new IPv4Address(bytes) : new IPv6Address(bytes);
        int bits = bytes.length * 8;
        int length = bits;
        if (mask != null) {
            if (mask.isEmpty() || !mask.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new Bad("bad mask value in " + Printable.quote(shown));
            }
            // Leading zeros are fine ("/08" is /8), as with Postfix's atoi().
            length = mask.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(mask);
            if (length > bits) {
                throw new Bad("bad mask length in " + Printable.quote(shown));
            }
        }
        byte[] network = bytes.clone();
        for (int bit = length; bit < bits; bit++) {
            network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        if (!Arrays.equals(network, bytes)) {
            IPAddress suggestion = network.length == 4 ? new IPv4Address(network) : new IPv6Address(network);
            throw new Bad("non-null host address bits in " + Printable.quote(shown)
                    + ", perhaps you should use \"" + suggestion.toCanonicalString() + "/" + length + "\" instead");
        }
        return new CidrPattern(ip.toPrefixBlock(length), shown);
    }

    /** True when {@code address} (4 or 16 bytes) is in this network; never across families. */
    public boolean contains(byte[] address) {
        if (address.length * 8 != network.getBitCount()) {
            return false;
        }
        IPAddress a = address.length == 4 ? new IPv4Address(address) : new IPv6Address(address);
        return network.contains(a);
    }

    /** A pattern Postfix refuses, with its reason. */
    public static final class Bad extends Exception {

        private static final long serialVersionUID = 1L;

        Bad(String problem) {
            super(problem, null, false, false);
        }
    }
}
