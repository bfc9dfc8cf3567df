package dev.portcullis.postfix;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code $name} expansion of main.cf values, as Postfix's mac_parse(3) and mac_expand(3) do
 * it with recursion on (mail_conf_eval()). One instance serves one lookup.
 *
 * <p>Supported: {@code $name}, {@code ${name}}, {@code $(name)}, {@code $$};
 * {@code ${name?text}}, {@code ${name:text}}, {@code ${name?{text}}},
 * {@code ${name:{text}}}, {@code ${name?{text1}:{text2}}} and the relational
 * {@code ${{text1} == {text2} ? {text3} : {text4}}} with ==, !=, &lt;, &lt;=, &gt;=, &gt;
 * (numerically when both sides are all digits) and the {@code level} suffix that compares
 * compatibility levels ({@code <level}). {@code ?} and {@code :} test the parameter's value
 * before expansion: {@code ${b?x}} is "x" when b is "$c", even when c is empty.
 *
 * <p>Errors are Postfix's, with its wording, raised where Postfix would raise them: text in
 * a branch that is not taken is not parsed. A parameter that refers to itself, directly or
 * not, is reported as a loop with the chain of names (Postfix only says "unreasonable macro
 * call nesting", after 100 levels).
 */
final class Expander implements PostfixDefaults.Context {

    /** Postfix mac_expand.c: "if (mc->level++ > 100)". */
    static final int MAX_NESTING = 100;
    /** Macro references and text pieces one lookup may process (Postfix has no limit). */
    static final int MAX_CALLS = 100_000;
    /** Characters one expanded value may have (Postfix has no limit). */
    static final int MAX_LENGTH = 1 << 20;

    private static final String WHITESPACE = " \t\r\n";

    private final MainCf cf;
    /** Parameters whose value (or computed default) is being expanded, outermost first. */
    private final List<String> active = new ArrayList<>();
    private int calls;

    Expander(MainCf cf) {
        this.cf = cf;
    }

    /** Where the text being expanded came from, for error messages. */
    private record Scope(String name, Origin origin) {
    }

    /** The expanded value of {@code name}, as {@code postconf -x} prints it. */
    String parameter(String name) {
        StringBuilder out = new StringBuilder();
        Scope top = new Scope(name, cf.origin(name));
        // Postfix expands "$name": one macro call at level 0, its value at level 1.
        String raw = raw(name, top);
        if (raw != null && !raw.isEmpty()) {
            expandValue(name, raw, 1, out, top);
        }
        return out.toString();
    }

    /** The value of {@code name} before expansion: explicit, else the default; null if none. */
    String raw(String name) {
        return raw(name, new Scope(name, cf.origin(name)));
    }

    @Override
    public String expand(String name) {
        StringBuilder out = new StringBuilder();
        Scope scope = new Scope(name, cf.origin(name));
        String raw = raw(name, scope);
        if (raw != null && !raw.isEmpty()) {
            expandValue(name, raw, 1, out, scope);
        }
        return out.toString();
    }

    @Override
    public Optional<Parameter> definition(String name) {
        return cf.definition(name);
    }

    // ---------------------------------------------------------------------------------------

    private String raw(String name, Scope scope) {
        Optional<Parameter> p = cf.definition(name);
        if (p.isPresent()) {
            return p.get().value();
        }
        PostfixDefaults.Spec spec = cf.defaults().spec(name);
        if (spec == null) {
            return null;
        }
        if (spec.computed() == null) {
            return spec.value();
        }
        enterParameter(name, scope);
        try {
            return spec.computed().compute(this);
        } finally {
            active.remove(active.size() - 1);
        }
    }

    /** Expands the value of parameter {@code name}, which is {@code raw}. */
    private void expandValue(String name, String raw, int level, StringBuilder out, Scope from) {
        enterParameter(name, from);
        try {
            parse(raw, level, out, new Scope(name, cf.origin(name)));
        } finally {
            active.remove(active.size() - 1);
        }
    }

    private void enterParameter(String name, Scope from) {
        int at = active.indexOf(name);
        if (at >= 0) {
            StringBuilder chain = new StringBuilder();
            for (String n : active.subList(at, active.size())) {
                chain.append(n).append(" -> ");
            }
            chain.append(name);
            throw error(from, "unreasonable macro call nesting: parameter loop " + chain);
        }
        active.add(name);
    }

    /** mac_parse(): split text into literal pieces and macro expressions. */
    private void parse(String text, int level, StringBuilder out, Scope scope) {
        StringBuilder literal = new StringBuilder();
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < n && text.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            if (literal.length() > 0) {
                text(literal, level, out, scope);
                literal.setLength(0);
            }
            i++;
            String expr;
            if (i < n && (text.charAt(i) == '{' || text.charAt(i) == '(')) {
                // Only the bracket that opened the reference nests: ${a(b} is fine.
                char open = text.charAt(i);
                char close = open == '{' ? '}' : ')';
                int depth = 1;
                int end = i + 1;
                while (depth > 0) {
                    if (end == n) {
                        throw error(scope, "truncated macro reference: " + Printable.quote(text));
                    }
                    char d = text.charAt(end++);
                    if (d == open) {
                        depth++;
                    } else if (d == close) {
                        depth--;
                    }
                }
                expr = text.substring(i + 1, end - 1);
                i = end;
            } else {
                int end = i;
                while (end < n && isNameChar(text.charAt(end))) {
                    end++;
                }
                expr = text.substring(i, end);
                i = end;
            }
            if (expr.isEmpty()) {
                throw error(scope, "empty macro name: " + Printable.quote(text));
            }
            macro(expr, level, out, scope);
        }
        if (literal.length() > 0) {
            text(literal, level, out, scope);
        }
    }

    private void text(CharSequence literal, int level, StringBuilder out, Scope scope) {
        enter(level, literal.toString(), scope);
        out.append(literal);
        if (out.length() > MAX_LENGTH) {
            throw error(scope, "expansion is longer than " + MAX_LENGTH + " characters");
        }
    }

    private void enter(int level, String what, Scope scope) {
        if (level > MAX_NESTING) {
            throw error(scope, "unreasonable macro call nesting: " + Printable.quote(what));
        }
        if (++calls > MAX_CALLS) {
            throw error(scope, "more than " + MAX_CALLS + " macro expansions");
        }
    }

    /** mac_expand_callback() for one macro expression (the text inside ${...}, or a name). */
    private void macro(String expr, int level, StringBuilder out, Scope scope) {
        enter(level, expr, scope);
        int n = expr.length();
        int cp = skipWhitespace(expr, 0);
        String name = null;
        String lookup;
        char op = 0;
        if (cp < n && expr.charAt(cp) == '{') {
            int[] pos = {cp};
            lookup = relational(expr, pos, scope);
            cp = pos[0];
            if (cp < n) {
                op = expr.charAt(cp);
                if (op != '?' && op != ':') {
                    throw error(scope, "\"?\" or \":\" expected at: \"...}>>>" + first20(expr, cp) + "\"");
                }
                cp++;
            }
        } else {
            int start = cp;
            while (true) {
                int ws = spanWhitespace(expr, cp);
                if (cp + ws == n) {
                    name = expr.substring(start, cp);
                    break;
                }
                char next = expr.charAt(cp + ws);
                if (next == '?' || next == ':') {
                    name = expr.substring(start, cp);
                    op = next;
                    cp = cp + ws + 1;
                    break;
                }
                if (!isNameChar(expr.charAt(cp))) {
                    throw error(scope, "attribute name syntax error at: \"..." + Printable.prefix(expr.substring(0, cp))
                            + ">>>" + first20(expr, cp) + "\"");
                }
                cp++;
            }
            lookup = raw(name, scope);
        }
        boolean nonEmpty = lookup != null && !lookup.isEmpty();
        if (op == '?') {
            int ws = spanWhitespace(expr, cp);
            String ifTrue;
            if (cp + ws < n && expr.charAt(cp + ws) == '{') {
                int[] pos = {cp + ws};
                ifTrue = curly(expr, pos, scope);
                cp = pos[0];
            } else {
                ifTrue = expr.substring(cp);
                cp = n;
            }
            if (nonEmpty) {
                parse(ifTrue, level + 1, out, scope);
            }
            if (cp == n) {
                return;
            }
            if (expr.charAt(cp) != ':') {
                throw error(scope, "\":\" expected at: \"..." + Printable.prefix(ifTrue) + "}>>>" + first20(expr, cp) + "\"");
            }
            cp++;
            op = ':'; // ${name?{text1}:{text2}}: go on with text2
        }
        if (op == ':') {
            int ws = spanWhitespace(expr, cp);
            String ifFalse;
            if (cp + ws < n && expr.charAt(cp + ws) == '{') {
                int[] pos = {cp + ws};
                ifFalse = curly(expr, pos, scope);
                cp = pos[0];
            } else {
                ifFalse = expr.substring(cp);
                cp = n;
            }
            if (!nonEmpty) {
                parse(ifFalse, level + 1, out, scope);
            }
            if (cp != n) {
                throw error(scope, "unexpected input at: \"..." + Printable.prefix(ifFalse) + "}>>>" + first20(expr, cp) + "\"");
            }
            return;
        }
        if (!nonEmpty) {
            return; // undefined or empty: nothing (postconf warns "undefined parameter")
        }
        if (name == null) {
            parse(lookup, level + 1, out, scope); // a relational expression's "true"
        } else {
            expandValue(name, lookup, level + 1, out, scope);
        }
    }

    /** mac_exp_parse_relational(): {left} op {right}; returns "true" or "". */
    private String relational(String expr, int[] pos, Scope scope) {
        String left = curly(expr, pos, scope);
        int cp = pos[0];
        int opStart = cp;
        while (cp < expr.length() && "<>!=?+-*/~&|%".indexOf(expr.charAt(cp)) >= 0) {
            cp++;
        }
        String op = expr.substring(opStart, cp);
        if (!(op.equals("==") || op.equals("!=") || op.equals("<") || op.equals("<=")
                || op.equals(">=") || op.equals(">"))) {
            throw error(scope, "\"==\", \"!=\", \"<\", \"<=\", \">=\" or \">\" expected at: \"..."
                    + Printable.prefix(left) + "}>>>" + first20(expr, opStart) + "\"");
        }
        boolean levels = false;
        if (cp < expr.length() && isAlnum(expr.charAt(cp))) {
            int suffixStart = cp;
            while (cp < expr.length() && isAlnum(expr.charAt(cp))) {
                cp++;
            }
            String suffix = expr.substring(suffixStart, cp);
            if (!suffix.equals("level")) {
                throw error(scope, "bad operator suffix at: \"..." + op + ">>>" + Printable.prefix(suffix) + "\"");
            }
            levels = true;
        }
        int ws = spanWhitespace(expr, cp);
        if (cp + ws >= expr.length() || expr.charAt(cp + ws) != '{') {
            throw error(scope, "\"{expression}\" expected at: \"...{" + Printable.prefix(left) + "} " + op
                    + ">>>" + first20(expr, cp) + "\"");
        }
        pos[0] = cp + ws;
        String right = curly(expr, pos, scope);
        // Postfix evaluates each operand with a fresh mac_expand(): nesting starts again.
        String l = free(left, scope);
        String r = free(right, scope);
        int cmp;
        if (levels) {
            long lv = CompatibilityLevel.parse(l);
            long rv = CompatibilityLevel.parse(r);
            if (lv < 0 || rv < 0) {
                throw error(scope, "malformed compatibility level syntax: " + Printable.quote(lv < 0 ? l : r));
            }
            cmp = Long.compare(lv, rv);
        } else if (allDigits(l) && allDigits(r)) {
            try {
                cmp = Long.compare(Long.parseLong(l), Long.parseLong(r));
            } catch (NumberFormatException e) {
                throw error(scope, "mac_exp_eval: bad conversion: " + Printable.quote(l) + " or " + Printable.quote(r));
            }
        } else {
            cmp = Integer.signum(l.compareTo(r));
        }
        boolean result = switch (op) {
            case "==" -> cmp == 0;
            case "!=" -> cmp != 0;
            case "<" -> cmp < 0;
            case "<=" -> cmp <= 0;
            case ">=" -> cmp >= 0;
            default -> cmp > 0;
        };
        return result ? "true" : "";
    }

    private String free(String text, Scope scope) {
        StringBuilder out = new StringBuilder();
        parse(text, 0, out, scope);
        return out.toString();
    }

    /**
     * mac_exp_extract_curly_payload(): the text inside balanced {}, starting at the '{' at
     * pos[0]; leaves pos[0] after the '}' and any whitespace.
     */
    private String curly(String expr, int[] pos, Scope scope) {
        int start = pos[0];
        int depth = 1;
        int cp = start + 1;
        while (true) {
            if (cp == expr.length()) {
                throw error(scope, "unbalanced {} in attribute expression: " + Printable.quote(expr.substring(start)));
            }
            char c = expr.charAt(cp);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth <= 0) {
                break;
            }
            cp++;
        }
        String payload = expr.substring(start + 1, cp);
        pos[0] = cp + 1 + spanWhitespace(expr, cp + 1);
        return payload;
    }

    private PostfixConfigException error(Scope scope, String problem) {
        String where = scope.name() == null ? problem : scope.name() + ": " + problem;
        return PostfixConfigException.at(scope.origin(), scope.name(), where);
    }

    private static String first20(String s, int from) {
        return Printable.prefix(s.substring(from, Math.min(s.length(), from + 20)));
    }

    private static int spanWhitespace(String s, int from) {
        int i = from;
        while (i < s.length() && WHITESPACE.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return i - from;
    }

    private static int skipWhitespace(String s, int from) {
        return from + spanWhitespace(s, from);
    }

    static boolean isNameChar(char c) {
        return isAlnum(c) || c == '_';
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean allDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
