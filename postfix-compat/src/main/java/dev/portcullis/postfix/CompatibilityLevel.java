package dev.portcullis.postfix;

/**
 * Postfix's compatibility_level values ("major[.minor[.patch]]"), converted for comparison
 * exactly as compat_level_from_string() does: "3.10" is above "3.9", and missing members are
 * zero.
 */
final class CompatibilityLevel {

    // compat_level.c: 10 bits each for patch and minor, the rest of a long for major.
    private static final int MINOR_SHIFT = 10;
    private static final int MAJOR_SHIFT = 20;
    private static final long MAX_MINOR = 0x3ff;
    private static final long MAX_PATCH = 0x3ff;
    private static final long MAX_MAJOR = Long.MAX_VALUE >> MAJOR_SHIFT;

    private CompatibilityLevel() {
    }

    /**
     * The comparable form of {@code text}, or -1 when it is not a compatibility level
     * (Postfix: "malformed compatibility level syntax").
     */
    static long parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length > 3) {
            return -1;
        }
        long[] max = {MAX_MAJOR, MAX_MINOR, MAX_PATCH};
        int[] shift = {MAJOR_SHIFT, MINOR_SHIFT, 0};
        long result = 0;
        for (int i = 0; i < parts.length; i++) {
            long value = number(parts[i]);
            if (value < 0 || value > max[i]) {
                return -1;
            }
            result |= value << shift[i];
        }
        return result;
    }

    /** sane_strtol() as compat_level_from_string() uses it: digits, optional sign, no junk. */
    private static long number(String s) {
        int i = 0;
        while (i < s.length() && MainCfParser.isSpace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && s.charAt(i) == '+') {
            i++;
        }
        if (i == s.length()) {
            return -1;
        }
        long value = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
            if (value > MAX_MAJOR) {
                return -1;
            }
        }
        return value;
    }
}
