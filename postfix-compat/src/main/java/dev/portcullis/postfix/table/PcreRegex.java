package dev.portcullis.postfix.table;

import dev.portcullis.postfix.table.PosixRegex.RegexError;

/**
 * Translates a Perl-compatible regular expression, with the flags of pcre_table(5), into the
 * syntax of the linear-time engine (RE2). Most of PCRE is RE2 syntax already; this class
 * applies the table flags (caseless and dotall on by default; m, x, A, E, U), turns the few
 * PCRE spellings RE2 lacks into equivalents ({@code (?<name>}, {@code (?#...)}, {@code \e},
 * {@code \cX}, {@code \Z}, PCRE's {@code $} that also matches before a final newline), and
 * refuses at load time, with a message saying why, what only a backtracking engine can run:
 * back-references ({@code \1}, {@code \g}, {@code \k}, {@code (?P=}), lookahead and lookbehind,
 * atomic groups, possessive quantifiers, recursion, conditionals, {@code \G}, {@code \K} and
 * backtracking verbs. RE2 rejects the rest of what it does not know with its own message.
 */
final class PcreRegex {

    private final String p;
    private final boolean extended;
    private final boolean multiline;
    private final boolean dollarEndOnly;
    private final StringBuilder out = new StringBuilder();
    private int i;

    private PcreRegex(String pattern, boolean extended, boolean multiline, boolean dollarEndOnly) {
        this.p = pattern;
        this.extended = extended;
        this.multiline = multiline;
        this.dollarEndOnly = dollarEndOnly;
    }

    /** Table flags of one pcre rule, after toggling the defaults. */
    record Flags(boolean caseless, boolean multiline, boolean dotall, boolean extended, boolean anchored,
                 boolean dollarEndOnly, boolean ungreedy) {
        static final Flags DEFAULT = new Flags(true, false, true, false, false, false, false);
    }

    static String translate(String pattern, Flags f) throws RegexError {
        PcreRegex t = new PcreRegex(pattern, f.extended(), f.multiline(), f.dollarEndOnly() && !f.multiline());
        StringBuilder flags = new StringBuilder();
        if (f.caseless()) {
            flags.append('i');
        }
        if (f.multiline()) {
            flags.append('m');
        }
        if (f.dotall()) {
            flags.append('s');
        }
        if (f.ungreedy()) {
            flags.append('U');
        }
        if (!flags.isEmpty()) {
            t.out.append("(?").append(flags).append(')');
        }
        if (f.anchored()) {
            t.out.append("\\A(?:");
        }
        t.run();
        if (f.anchored()) {
            t.out.append(')');
        }
        return t.out.toString();
    }

    private void run() throws RegexError {
        int n = p.length();
        while (i < n) {
            char c = p.charAt(i);
            if (extended && LogicalLines.isSpace(c)) {
                i++;
                continue;
            }
            if (extended && c == '#') {
                int eol = p.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
                continue;
            }
            switch (c) {
                case '\\' -> escape(false);
                case '[' -> bracket();
                case '(' -> group();
                case '$' -> {
                    i++;
                    // PCRE: '$' also matches before a newline that ends the subject, unless
                    // DOLLAR_ENDONLY; RE2's '$' (without m) is the end of the text only.
                    out.append(multiline || dollarEndOnly ? "$" : "(?:\\n?\\z)");
                }
                case '*', '+', '?', '}' -> {
                    i++;
                    out.append(c);
                    if (i < n && p.charAt(i) == '+') {
                        throw new RegexError("possessive quantifier " + c + "+ is not supported by the linear-time engine");
                    }
                }
                case '{' -> repeat();
                default -> {
                    i++;
                    out.append(c);
                }
            }
        }
    }

    private void repeat() throws RegexError {
        int close = p.indexOf('}', i);
        String body = close < 0 ? null : p.substring(i + 1, close);
        if (body != null && body.matches("\\d+(,\\d*)?")) {
            for (String part : body.split(",", -1)) {
                if (!part.isEmpty() && (part.length() > 4 || Integer.parseInt(part) > PosixRegex.MAX_REPEAT)) {
                    throw new RegexError("repetition count above " + PosixRegex.MAX_REPEAT
                            + " is not supported by the linear-time engine");
                }
            }
            out.append(p, i, close + 1);
            i = close + 1;
            if (i < p.length() && p.charAt(i) == '+') {
                throw new RegexError("possessive quantifier {}+ is not supported by the linear-time engine");
            }
            return;
        }
        out.append("\\{"); // PCRE: a '{' that does not start a quantifier is literal
        i++;
    }

    private void group() throws RegexError {
        String rest = p.substring(i);
        if (rest.startsWith("(*")) {
            throw new RegexError("backtracking control verb " + PcreRegex.shown(rest, 12)
                    + " is not supported by the linear-time engine");
        }
        if (!rest.startsWith("(?")) {
            i++;
            out.append('(');
            return;
        }
        if (rest.startsWith("(?#")) {
            int end = p.indexOf(')', i);
            if (end < 0) {
                throw new RegexError("missing ) after (?# comment");
            }
            i = end + 1;
            return;
        }
        if (rest.startsWith("(?=") || rest.startsWith("(?!")) {
            throw new RegexError("lookahead " + rest.substring(0, 3) + " is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?<=") || rest.startsWith("(?<!")) {
            throw new RegexError("lookbehind " + rest.substring(0, 4) + " is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?>")) {
            throw new RegexError("atomic group (?> is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?|")) {
            throw new RegexError("branch reset group (?| is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?(")) {
            throw new RegexError("conditional group (?( is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?P=") || rest.startsWith("(?P>") || rest.startsWith("(?&") || rest.startsWith("(?R")
                || (rest.length() > 2 && (Character.isDigit(rest.charAt(2)) || rest.charAt(2) == '+'
                || rest.charAt(2) == '-' && rest.length() > 3 && Character.isDigit(rest.charAt(3))))) {
            throw new RegexError("back-reference or recursion " + shown(rest, 6)
                    + " is not supported by the linear-time engine");
        }
        if (rest.startsWith("(?<") || rest.startsWith("(?'")) {
            char close = rest.charAt(2) == '<' ? '>' : '\'';
            int end = rest.indexOf(close, 3);
            if (end < 0) {
                throw new RegexError("syntax error in subpattern name (missing terminator?)");
            }
            out.append("(?P<").append(rest, 3, end).append('>');
            i += end + 1;
            return;
        }
        if (rest.startsWith("(?P<")) {
            int end = rest.indexOf('>', 4);
            if (end < 0) {
                throw new RegexError("syntax error in subpattern name (missing terminator?)");
            }
            out.append(rest, 0, end + 1);
            i += end + 1;
            return;
        }
        // (?flags) or (?flags:...): RE2 has i, m, s and U; x would change how we read the rest.
        int j = 2;
        while (j < rest.length() && rest.charAt(j) != ')' && rest.charAt(j) != ':') {
            char f = rest.charAt(j);
            if (f == 'x') {
                throw new RegexError("inline option (?x) is not supported; use the table's x flag");
            }
            if ("imsU-".indexOf(f) < 0) {
                throw new RegexError("inline option " + f + " in " + shown(rest, 8) + " is not supported");
            }
            j++;
        }
        out.append(rest, 0, Math.min(j + 1, rest.length()));
        i += Math.min(j + 1, rest.length());
    }

    private void escape(boolean inClass) throws RegexError {
        if (i + 1 >= p.length()) {
            throw new RegexError("\\ at end of pattern");
        }
        char e = p.charAt(i + 1);
        switch (e) {
            case 'Q' -> {
                int end = p.indexOf("\\E", i + 2);
                String lit = end < 0 ? p.substring(i + 2) : p.substring(i + 2, end);
                i = end < 0 ? p.length() : end + 2;
                for (int k = 0; k < lit.length(); k++) {
                    char c = lit.charAt(k);
                    if (!LogicalLines.isAlnum(c) && c < 0x80) {
                        out.append('\\');
                    }
                    out.append(c);
                }
                return;
            }
            case 'E' -> {
                i += 2; // a stray \E is ignored by PCRE
                return;
            }
            case 'e' -> {
                out.append("\\x1B");
                i += 2;
                return;
            }
            case 'c' -> {
                if (i + 2 >= p.length()) {
                    throw new RegexError("\\c at end of pattern");
                }
                char x = Character.toUpperCase(p.charAt(i + 2));
                out.append(String.format("\\x{%X}", x ^ 0x40));
                i += 3;
                return;
            }
            case 'Z' -> {
                out.append(inClass ? "Z" : "(?:\\n?\\z)");
                i += 2;
                return;
            }
            case 'b' -> {
                out.append(inClass ? "\\x08" : "\\b");
                i += 2;
                return;
            }
            case 'g', 'k' -> {
                if (!inClass) {
                    throw new RegexError("back-reference \\" + e + " is not supported by the linear-time engine");
                }
            }
            case 'G', 'K', 'R', 'X', 'C', 'N', 'h', 'H', 'v', 'V' -> {
                if (!inClass || "hHvV".indexOf(e) >= 0) {
                    throw new RegexError("\\" + e + " is not supported by the linear-time engine");
                }
            }
            default -> {
                if (!inClass && e >= '1' && e <= '9'
                        && (i + 2 >= p.length() || !Character.isDigit(p.charAt(i + 2)))) {
                    throw new RegexError("back-reference \\" + e + " is not supported by the linear-time engine");
                }
            }
        }
        out.append('\\').append(e);
        i += 2;
    }

    private void bracket() throws RegexError {
        int n = p.length();
        out.append('[');
        i++;
        if (i < n && p.charAt(i) == '^') {
            out.append('^');
            i++;
        }
        if (i < n && p.charAt(i) == ']') {
            out.append("\\]");
            i++;
        }
        while (true) {
            if (i >= n) {
                throw new RegexError("missing terminating ] for character class");
            }
            char c = p.charAt(i);
            if (c == ']') {
                out.append(']');
                i++;
                return;
            }
            if (c == '\\') {
                escape(true);
                continue;
            }
            if (c == '[' && i + 1 < n && p.charAt(i + 1) == ':') {
                int end = p.indexOf(":]", i + 2);
                if (end > 0) {
                    out.append(p, i, end + 2);
                    i = end + 2;
                    continue;
                }
            }
            if (c == '[') {
                out.append("\\[");
                i++;
                continue;
            }
            out.append(c);
            i++;
        }
    }

    static String shown(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
