package dev.portcullis.postfix;

/**
 * Address text to bytes exactly as glibc's inet_pton(3), which Postfix uses for network
 * patterns: dotted quads without leading zeros; RFC 4291 IPv6 text with at most one "::",
 * up to four hex digits per group and an optional trailing dotted quad; no zone, no prefix.
 */
public final class InetPton {

    private InetPton() {
    }

    /** Four bytes, or null when {@code s} is not a dotted-quad IPv4 address. */
    public static byte[] v4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int value = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255) {
                return null;
            }
            out[i] = (byte) value;
        }
        return out;
    }

    /** Sixteen bytes, or null when {@code s} is not an IPv6 address. */
    public static byte[] v6(String s) {
        byte[] out = new byte[16];
        int n = s.length();
        if (n == 0) {
            return null;
        }
        int i = 0;
        if (s.charAt(0) == ':') {
            if (n < 2 || s.charAt(1) != ':') {
                return null;
            }
            i = 1;
        }
        int tp = 0;
        int colonp = -1;
        int curtok = i;
        boolean sawXdigit = false;
        int xdigits = 0;
        int val = 0;
        while (i < n) {
            char ch = s.charAt(i++);
            int digit = hex(ch);
            if (digit >= 0) {
                val = (val << 4) | digit;
                if (++xdigits > 4) {
                    return null;
                }
                sawXdigit = true;
                continue;
            }
            if (ch == ':') {
                curtok = i;
                if (!sawXdigit) {
                    if (colonp >= 0) {
                        return null;
                    }
                    colonp = tp;
                    continue;
                } else if (i == n) {
                    return null;
                }
                if (tp + 2 > 16) {
                    return null;
                }
                out[tp++] = (byte) (val >> 8);
                out[tp++] = (byte) val;
                sawXdigit = false;
                xdigits = 0;
                val = 0;
                continue;
            }
            if (ch == '.' && tp + 4 <= 16) {
                byte[] quad = v4(s.substring(curtok));
                if (quad != null) {
                    System.arraycopy(quad, 0, out, tp, 4);
                    tp += 4;
                    sawXdigit = false;
                    break;
                }
            }
            return null;
        }
        if (sawXdigit) {
            if (tp + 2 > 16) {
                return null;
            }
            out[tp++] = (byte) (val >> 8);
            out[tp++] = (byte) val;
        }
        if (colonp >= 0) {
            if (tp == 16) {
                return null;
            }
            int moved = tp - colonp;
            System.arraycopy(out, colonp, out, 16 - moved, moved);
            for (int k = colonp; k < 16 - moved; k++) {
                out[k] = 0;
            }
            tp = 16;
        }
        return tp == 16 ? out : null;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
