package dev.portcullis.postfix.table;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Keeps one table line from costing the process its memory or its stack: RE2 matches in
 * linear time, but compiles a counted repetition by copying its operand, so
 * {@code ((a{1000}){1000}){1000}} would be a billion instructions. Before compiling, the
 * pattern's size is estimated the way RE2 will expand it (operands of {m,n} copied max(m,n)
 * times) and refused above {@link #MAX_SIZE}; groups may nest at most {@link #MAX_DEPTH} deep.
 */
final class RegexBudget {

    /** About 4 MB of compiled program; real header_checks patterns are a few hundred. */
    static final long MAX_SIZE = 100_000;

    static final int MAX_DEPTH = 200;

    private RegexBudget() {
    }

    /**
     * Checks {@code re2} (RE2 syntax as the translators emit it).
     *
     * @return null when it is within budget, else the problem
     */
    static String check(String re2) {
        Deque<long[]> stack = new ArrayDeque<>(); // per open group: {size so far, size of last atom}
        long size = 0;
        long last = 0;
        int n = re2.length();
        for (int k = 0; k < n; k++) {
            char c = re2.charAt(k);
            switch (c) {
                case '\\' -> {
                    k++;
                    if (k < n && (re2.charAt(k) == 'x' || re2.charAt(k) == 'p' || re2.charAt(k) == 'P')
                            && k + 1 < n && re2.charAt(k + 1) == '{') {
                        k = Math.max(k, re2.indexOf('}', k));
                        if (k < 0) {
                            k = n;
                        }
                    }
                    last = 1;
                    size += 1;
                }
                case '[' -> {
                    k = Prefilter.classEnd(re2, k) - 1;
                    last = 1;
                    size += 1;
                }
                case '(' -> {
                    if (stack.size() >= MAX_DEPTH) {
                        return "parentheses nested more than " + MAX_DEPTH + " deep";
                    }
                    stack.push(new long[] {size});
                    size = 0;
                    last = 0;
                }
                case ')' -> {
                    long inner = size + 2;
                    size = stack.isEmpty() ? inner : stack.pop()[0] + inner;
                    last = inner;
                }
                case '{' -> {
                    int close = re2.indexOf('}', k);
                    String body = close < 0 ? "" : re2.substring(k + 1, close);
                    if (body.matches("\\d{1,6}(,\\d{0,6})?")) {
                        String[] parts = body.split(",", -1);
                        long max = Long.parseLong(parts[0]);
                        if (parts.length == 2 && !parts[1].isEmpty()) {
                            max = Math.max(max, Long.parseLong(parts[1]));
                        }
                        long grown = last * Math.max(max, 1) + 1;
                        size += grown - last;
                        last = grown;
                        k = close;
                    } else {
                        size += 1;
                        last = 1;
                    }
                }
                case '*', '+', '?' -> {
                    size += 1;
                    last += 1;
                }
                case '|' -> size += 1;
                default -> {
                    size += 1;
                    last = 1;
                }
            }
            if (size > MAX_SIZE || last > MAX_SIZE) {
                return "regular expression too big for the linear-time engine (more than " + MAX_SIZE
                        + " instructions once repetitions are expanded)";
            }
        }
        return null;
    }
}
