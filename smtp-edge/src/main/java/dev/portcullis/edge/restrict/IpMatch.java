package dev.portcullis.edge.restrict;

import dev.portcullis.postfix.InetPton;

/**
 * A DNSBL reply filter as Postfix's ip_match(3) parses it: four dot-separated octet patterns,
 * each a number 0..255 or a bracketed list of numbers and ranges, {@code 127.0.0.[2..11]},
 * {@code 127.0.[1;2].[4..7;9]}. Anything else fails start-up, as "RBL reply error" is fatal
 * in Postfix.
 */
final class IpMatch {

    /** Per octet, a 256-bit set of the values allowed. */
    private final long[][] allowed = new long[4][4];

    private IpMatch() {
    }

    /** Parses the pattern; throws IllegalArgumentException saying what is wrong. */
    static IpMatch parse(String pattern) {
        IpMatch m = new IpMatch();
        int octet = 0;
        int i = 0;
        int n = pattern.length();
        while (true) {
            if (octet > 3) {
                throw new IllegalArgumentException("too many octets in \"" + pattern + "\"");
            }
            if (i < n && pattern.charAt(i) == '[') {
                int close = pattern.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("missing \"]\" in \"" + pattern + "\"");
                }
                for (String part : pattern.substring(i + 1, close).split(";", -1)) {
                    int dots = part.indexOf("..");
                    int lo = number(dots < 0 ? part : part.substring(0, dots), pattern);
                    int hi = dots < 0 ? lo : number(part.substring(dots + 2), pattern);
                    if (hi < lo) {
                        throw new IllegalArgumentException("bad range " + part + " in \"" + pattern + "\"");
                    }
                    for (int v = lo; v <= hi; v++) {
                        m.allowed[octet][v >> 6] |= 1L << (v & 63);
                    }
                }
                i = close + 1;
            } else {
                int end = i;
                while (end < n && Character.isDigit(pattern.charAt(end))) {
                    end++;
                }
                int v = number(pattern.substring(i, end), pattern);
                m.allowed[octet][v >> 6] |= 1L << (v & 63);
                i = end;
            }
            octet++;
            if (i == n) {
                break;
            }
            if (pattern.charAt(i) != '.') {
                throw new IllegalArgumentException("unexpected \"" + pattern.charAt(i) + "\" in \"" + pattern + "\"");
            }
            i++;
        }
        if (octet != 4) {
            throw new IllegalArgumentException("need four octets in \"" + pattern + "\"");
        }
        return m;
    }

    private static int number(String s, String pattern) {
        if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("bad octet \"" + s + "\" in \"" + pattern + "\"");
        }
        int v = Integer.parseInt(s);
        if (v > 255) {
            throw new IllegalArgumentException("octet " + v + " > 255 in \"" + pattern + "\"");
        }
        return v;
    }

    /** Whether an IPv4 address in text form matches. */
    boolean matches(String address) {
        byte[] b = InetPton.v4(address);
        if (b == null) {
            return false;
        }
        for (int k = 0; k < 4; k++) {
            int v = b[k] & 0xff;
            if ((allowed[k][v >> 6] & (1L << (v & 63))) == 0) {
                return false;
            }
        }
        return true;
    }
}
