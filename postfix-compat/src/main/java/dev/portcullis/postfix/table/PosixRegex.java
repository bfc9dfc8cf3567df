package dev.portcullis.postfix.table;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Translates a POSIX regular expression, as Postfix's regexp tables hand it to glibc's
 * regcomp(3), into the syntax of the linear-time engine (RE2), keeping its meaning:
 * extended (ERE, the default) or basic (BRE, flag {@code x} toggled off) syntax, REG_ICASE
 * and REG_NEWLINE. Matching is leftmost-longest, as POSIX requires
 * ({@code Pattern.LONGEST_MATCH}).
 *
 * <p>What glibc accepts is accepted, with glibc's error texts ("Unmatched ( or \(",
 * "Invalid preceding regular expression", ...) for what it refuses, except what no linear
 * engine can run: back-references ({@code \1}) are refused at load time, and so are the GNU
 * word-edge operators {@code \<} and {@code \>} (write {@code \b}) and escapes of letters
 * that POSIX leaves undefined (such as {@code \d}: write {@code [0-9]}).
 */
final class PosixRegex {

    /** RE2's largest repeat count; glibc allows up to RE_DUP_MAX (32767). */
    static final int MAX_REPEAT = 1000;

    private static final Set<String> CLASSES = Set.of("alpha", "upper", "lower", "digit", "xdigit", "space",
            "print", "punct", "graph", "cntrl", "blank", "alnum");

    private final String p;
    private final boolean extended;
    private final boolean newline;
    private final StringBuilder out = new StringBuilder();
    private int i;
    private int groups;

    private PosixRegex(String pattern, boolean extended, boolean newline) {
        this.p = pattern;
        this.extended = extended;
        this.newline = newline;
    }

    /** The translation, and the number of subexpressions (regex_t.re_nsub). */
    record Translation(String re2, int groups) {
    }

    static Translation translate(String pattern, boolean extended, boolean icase, boolean newline)
            throws RegexError {
        PosixRegex t = new PosixRegex(pattern, extended, newline);
        t.out.append(icase ? "(?i" : "(?").append(newline ? "m" : "s").append(')');
        t.run();
        return new Translation(t.out.toString(), t.groups);
    }

    private void run() throws RegexError {
        int n = p.length();
        Deque<Integer> open = new ArrayDeque<>();  // output index of each open group's '('
        int atom = -1;              // output index where the last atom starts; -1: none to repeat
        boolean quantified = false; // the last atom already carries a repetition operator
        boolean contextStart = true; // at the start of the RE, after '(' or '|' (BRE: and after '^')
        while (i < n) {
            char c = p.charAt(i);
            boolean wasStart = contextStart;
            contextStart = false;
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw new RegexError("Trailing backslash");
                }
                char e = p.charAt(i + 1);
                if (!extended && (e == '(' || e == ')' || e == '|' || e == '{' || e == '+' || e == '?')) {
                    i += 2;
                    switch (e) {
                        case '(' -> {
                            open.push(out.length());
                            out.append('(');
                            groups++;
                            atom = -1;
                            contextStart = true;
                        }
                        case ')' -> {
                            if (open.isEmpty()) {
                                throw new RegexError("Unmatched ) or \\)");
                            }
                            out.append(')');
                            atom = open.pop();
                            quantified = false;
                        }
                        case '|' -> {
                            out.append('|');
                            atom = -1;
                            contextStart = true;
                        }
                        case '{' -> {
                            if (atom < 0) {
                                throw new RegexError("Invalid preceding regular expression");
                            }
                            quantify(atom, quantified, interval('\\'));
                            quantified = true;
                        }
                        default -> { // \+ \? (GNU)
                            if (atom < 0) {
                                if (wasStart) { // literal at the start, like '*'
                                    atom = literal(e);
                                    quantified = false;
                                    break;
                                }
                                throw new RegexError("Invalid preceding regular expression");
                            }
                            quantify(atom, quantified, String.valueOf(e));
                            quantified = true;
                        }
                    }
                    continue;
                }
                i += 2;
                atom = escape(e);
                quantified = false;
                continue;
            }
            if (extended) {
                switch (c) {
                    case '(' -> {
                        i++;
                        open.push(out.length());
                        out.append('(');
                        groups++;
                        atom = -1;
                        contextStart = true;
                        continue;
                    }
                    case ')' -> {
                        i++;
                        if (open.isEmpty()) {
                            throw new RegexError("Unmatched ) or \\)");
                        }
                        out.append(')');
                        atom = open.pop();
                        quantified = false;
                        continue;
                    }
                    case '|' -> {
                        i++;
                        out.append('|');
                        atom = -1;
                        contextStart = true;
                        continue;
                    }
                    case '*', '+', '?' -> {
                        i++;
                        if (atom < 0) {
                            throw new RegexError("Invalid preceding regular expression");
                        }
                        quantify(atom, quantified, String.valueOf(c));
                        quantified = true;
                        continue;
                    }
                    case '{' -> {
                        if (atom < 0) {
                            throw new RegexError("Invalid preceding regular expression");
                        }
                        quantify(atom, quantified, interval('\0'));
                        quantified = true;
                        continue;
                    }
                    case '^', '$' -> {
                        i++;
                        out.append(c);
                        atom = -1;
                        contextStart = c == '^' && wasStart;
                        continue;
                    }
                    default -> {
                        // fall through to the common cases below
                    }
                }
            } else {
                if (c == '*') {
                    i++;
                    if (atom < 0) { // BRE: a leading '*' is literal
                        atom = literal('*');
                        quantified = false;
                    } else {
                        quantify(atom, quantified, "*");
                        quantified = true;
                    }
                    continue;
                }
                if (c == '^' && wasStart) {
                    i++;
                    out.append('^');
                    atom = -1;
                    contextStart = true;
                    continue;
                }
                if (c == '$' && atBreEnd(i + 1)) {
                    i++;
                    out.append('$');
                    atom = -1;
                    continue;
                }
            }
            if (c == '[') {
                i++;
                atom = out.length();
                bracket();
                quantified = false;
                continue;
            }
            if (c == '.') {
                i++;
                atom = out.length();
                out.append('.');
                quantified = false;
                continue;
            }
            i++;
            atom = literal(c);
            quantified = false;
        }
        if (!open.isEmpty()) {
            throw new RegexError("Unmatched ( or \\(");
        }
    }

    /** BRE: '$' is an anchor at the end of the RE or before \) or \|. */
    private boolean atBreEnd(int at) {
        return at >= p.length() || (p.charAt(at) == '\\' && at + 1 < p.length()
                && (p.charAt(at + 1) == ')' || p.charAt(at + 1) == '|'));
    }

    private int literal(char c) {
        int at = out.length();
        if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
            out.append('\\');
        }
        out.append(c);
        return at;
    }

    /** A repetition operator after the atom at {@code atom}; glibc allows "a**", RE2 wants a group. */
    private void quantify(int atom, boolean quantified, String op) {
        if (quantified) {
            out.insert(atom, "(?:");
            out.append(')');
        }
        out.append(op);
    }

    /** {m}, {m,}, {m,n}, {,n}: ERE with i at the '{', BRE with i just after the "\{". */
    private String interval(char bk) throws RegexError {
        if (bk != '\\') {
            i++; // '{'
        }
        int start = i;
        String close = bk == '\\' ? "\\}" : "}";
        int end = p.indexOf(close, i);
        if (end < 0) {
            throw new RegexError("Unmatched \\{");
        }
        String body = p.substring(start, end);
        i = end + close.length();
        int comma = body.indexOf(',');
        String lo = comma < 0 ? body : body.substring(0, comma);
        String hi = comma < 0 ? null : body.substring(comma + 1);
        if (!lo.chars().allMatch(Character::isDigit) || (hi != null && !hi.chars().allMatch(Character::isDigit))
                || (lo.isEmpty() && (hi == null || hi.isEmpty()))) {
            throw new RegexError("Invalid content of \\{\\}");
        }
        int min = lo.isEmpty() ? 0 : bounded(lo);
        int max = hi == null ? min : hi.isEmpty() ? -1 : bounded(hi);
        if (max >= 0 && max < min) {
            throw new RegexError("Invalid content of \\{\\}");
        }
        if (min > MAX_REPEAT || max > MAX_REPEAT) {
            throw new RegexError("repetition count above " + MAX_REPEAT + " is not supported by the linear-time engine");
        }
        return "{" + min + (hi == null ? "" : "," + (max < 0 ? "" : String.valueOf(max))) + "}";
    }

    private static int bounded(String digits) throws RegexError {
        if (digits.length() > 5 || Integer.parseInt(digits) > 32767) {
            throw new RegexError("Regular expression too big");
        }
        return Integer.parseInt(digits);
    }

    /** A backslash escape outside brackets (glibc's GNU operators included). */
    private int escape(char e) throws RegexError {
        int at = out.length();
        switch (e) {
            case 'w', 'W', 'b', 'B' -> out.append('\\').append(e);
            case 's' -> out.append("[[:space:]]");
            case 'S' -> out.append("[^[:space:]]");
            case '`' -> out.append("\\A");
            case '\'' -> out.append("\\z");
            case '<', '>' -> throw new RegexError("\\" + e + " (start or end of word) is not supported by the"
                    + " linear-time engine; use \\b");
            default -> {
                if (e >= '1' && e <= '9') {
                    throw new RegexError("back-reference \\" + e + " is not supported by the linear-time engine");
                }
                if (LogicalLines.isAlnum(e)) {
                    throw new RegexError("\\" + e + " has no meaning in a POSIX regular expression"
                            + (e == 'd' ? "; use [0-9]" : ""));
                }
                literal(e);
            }
        }
        return at;
    }

    /** A bracket expression; i is just after the '['. */
    private void bracket() throws RegexError {
        int n = p.length();
        StringBuilder b = new StringBuilder("[");
        boolean negated = false;
        if (i < n && p.charAt(i) == '^') {
            negated = true;
            b.append('^');
            i++;
        }
        boolean first = true;
        int prevChar = -1; // the last single character, a possible range start
        while (true) {
            if (i >= n) {
                throw new RegexError("Unmatched [, [^, [:, [., or [=");
            }
            char c = p.charAt(i);
            if (c == ']' && !first) {
                i++;
                break;
            }
            first = false;
            if (c == '[' && i + 1 < n && (p.charAt(i + 1) == ':' || p.charAt(i + 1) == '.' || p.charAt(i + 1) == '=')) {
                char kind = p.charAt(i + 1);
                int end = p.indexOf(kind + "]", i + 2);
                if (end < 0) {
                    throw new RegexError("Unmatched [, [^, [:, [., or [=");
                }
                String name = p.substring(i + 2, end);
                i = end + 2;
                if (kind == ':') {
                    if (!CLASSES.contains(name)) {
                        throw new RegexError("Invalid character class name");
                    }
                    b.append("[:").append(name).append(":]");
                    prevChar = -1;
                    continue;
                }
                if (name.length() != 1) {
                    throw new RegexError("Invalid collation character");
                }
                c = name.charAt(0);
                appendClassChar(b, c);
                prevChar = c;
                continue;
            }
            if (c == '-' && prevChar >= 0 && i + 1 < n && p.charAt(i + 1) != ']') {
                i++;
                char hi = p.charAt(i);
                if (hi == '[' && i + 1 < n && (p.charAt(i + 1) == '.' || p.charAt(i + 1) == '=')) {
                    char kind = p.charAt(i + 1);
                    int end = p.indexOf(kind + "]", i + 2);
                    if (end < 0 || end != i + 3) {
                        throw new RegexError("Invalid range end");
                    }
                    hi = p.charAt(i + 2);
                    i = end + 1;
                }
                i++;
                if (hi < prevChar) {
                    throw new RegexError("Invalid range end");
                }
                b.append('-');
                appendClassChar(b, hi);
                prevChar = -1;
                continue;
            }
            i++;
            appendClassChar(b, c);
            prevChar = c;
        }
        if (negated && newline) {
            b.append("\\n"); // REG_NEWLINE: a non-matching list does not match a newline
        }
        out.append(b).append(']');
    }

    private static void appendClassChar(StringBuilder b, char c) {
        if (c == '\\' || c == ']' || c == '[' || c == '-' || c == '^') {
            b.append('\\');
        }
        b.append(c);
    }

    /** A pattern the engine cannot take, with glibc's regerror() text where glibc has one. */
    static final class RegexError extends Exception {

        private static final long serialVersionUID = 1L;

        RegexError(String message) {
            super(message, null, false, false);
        }
    }
}
