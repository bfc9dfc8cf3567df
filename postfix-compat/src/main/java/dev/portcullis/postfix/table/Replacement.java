package dev.portcullis.postfix.table;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The result text of a regexp or pcre rule, parsed once at load time as Postfix's
 * mac_parse(3) parses it: {@code $n}, {@code ${n}} and {@code $(n)} stand for the n-th
 * parenthesized subexpression (n &gt;= 1), {@code $$} for a '$'. A subexpression that did not
 * take part in the match is replaced by nothing.
 */
final class Replacement {

    private final String literal;   // non-null when there is no $n
    private final String[] texts;   // texts[i] precedes group refs[i]; one more text at the end
    private final int[] refs;
    private final int maxGroup;

    private Replacement(String literal, String[] texts, int[] refs, int maxGroup) {
        this.literal = literal;
        this.texts = texts;
        this.refs = refs;
        this.maxGroup = maxGroup;
    }

    /** The highest {@code $n} used; 0 when the text is literal. */
    int maxGroup() {
        return maxGroup;
    }

    /** The text with {@code group(n)} for each {@code $n} (null groups give ""). */
    String expand(IntFunction<String> group) {
        if (literal != null) {
            return literal;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < refs.length; i++) {
            b.append(texts[i]);
            String g = group.apply(refs[i]);
            if (g != null) {
                b.append(g);
            }
        }
        return b.append(texts[refs.length]).toString();
    }

    /**
     * Parses {@code text}.
     *
     * @throws Bad with the warnings postmap prints, the last one being
     *             "bad replacement syntax"
     */
    static Replacement parse(String text) throws Bad {
        List<String> texts = new ArrayList<>();
        List<Integer> refs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int max = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c != '$') {
                current.append(c);
                i++;
                continue;
            }
            if (i + 1 < n && text.charAt(i + 1) == '$') {
                current.append('$');
                i += 2;
                continue;
            }
            String name;
            if (i + 1 < n && (text.charAt(i + 1) == '{' || text.charAt(i + 1) == '(')) {
                char open = text.charAt(i + 1);
                char close = open == '{' ? '}' : ')';
                int depth = 1;
                int j = i + 2;
                while (j < n && depth > 0) {
                    char d = text.charAt(j);
                    if (d == open) {
                        depth++;
                    } else if (d == close) {
                        depth--;
                    }
                    j++;
                }
                if (depth > 0) {
                    throw new Bad("truncated macro reference: " + quoted(text), null);
                }
                name = text.substring(i + 2, j - 1);
                i = j;
            } else {
                int j = i + 1;
                while (j < n && (LogicalLines.isAlnum(text.charAt(j)) || text.charAt(j) == '_')) {
                    j++;
                }
                name = text.substring(i + 1, j);
                i = j;
            }
            if (name.isEmpty()) {
                throw new Bad("empty macro name: " + quoted(text), null);
            }
            if (!name.chars().allMatch(d -> d >= '0' && d <= '9')) {
                throw new Bad(null, "non-numeric replacement index " + quoted(name));
            }
            String digits = name.replaceFirst("^0+(?=.)", "");
            int group = digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
            if (group < 1) {
                throw new Bad(null, "out-of-range replacement index " + quoted(name));
            }
            texts.add(current.toString());
            current.setLength(0);
            refs.add(group);
            max = Math.max(max, group);
        }
        if (refs.isEmpty()) {
            return new Replacement(current.toString(), null, null, 0);
        }
        texts.add(current.toString());
        return new Replacement(null, texts.toArray(String[]::new),
                refs.stream().mapToInt(Integer::intValue).toArray(), max);
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    /**
     * A result text Postfix refuses. {@code global} is a warning Postfix prints without the
     * map and line (mac_parse's own), {@code local} one it prints with them; either may be null.
     */
    static final class Bad extends Exception {

        private static final long serialVersionUID = 1L;

        final String global;
        final String local;

        Bad(String global, String local) {
            super(global != null ? global : local, null, false, false);
            this.global = global;
            this.local = local;
        }
    }
}
