package dev.portcullis.postfix.table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The multi-pattern step of a regexp or pcre table: one pass over the key finds, for every
 * rule at once, whether the literal text the rule cannot match without is there. Only rules
 * whose literal was seen (and rules without one) go on to the full match, still in file
 * order, so the first-match semantics are untouched: a rule skipped here could not have
 * matched.
 *
 * <p>How: each rule's RE2 syntax yields a set of required literals (one per top-level
 * alternative; the longest run of plain characters that every match must contain, ASCII only,
 * at least {@link #MIN_LITERAL} long); the literals of all rules go into one Aho-Corasick
 * automaton over an ASCII-case-folded key (a deterministic automaton over the characters that
 * occur in literals, so the scan is one table step per character). Case folding is ASCII plus
 * the two non-ASCII characters that fold to ASCII letters (KELVIN SIGN, LONG S), so a
 * case-insensitive rule is never missed; a case-sensitive rule at worst goes to the full match
 * for nothing. The same idea is RE2's FilteredRE2 and Hyperscan's literal prefiltering.
 */
final class Prefilter {

    static final int MIN_LITERAL = 2;

    private final int[][] next;      // state x symbol -> state (complete DFA)
    private final int[][] outputs;   // state -> literal ids that end here (failure chain folded in)
    private final byte[] symbol;     // ASCII char -> symbol; 0 = not in any literal
    private final int literals;

    private Prefilter(int[][] next, int[][] outputs, byte[] symbol, int literals) {
        this.next = next;
        this.outputs = outputs;
        this.symbol = symbol;
        this.literals = literals;
    }

    /** Builds the automaton for {@code literals} (lower-case ASCII), ids by position. */
    static Prefilter build(List<String> literals) {
        byte[] symbol = new byte[128];
        int symbols = 1;
        for (String l : literals) {
            for (int k = 0; k < l.length(); k++) {
                char c = l.charAt(k);
                if (symbol[c] == 0) {
                    if (symbols == 127) {
                        throw new IllegalStateException("alphabet overflow");
                    }
                    symbol[c] = (byte) symbols++;
                }
            }
        }
        List<int[]> go = new ArrayList<>();
        List<List<Integer>> out = new ArrayList<>();
        go.add(new int[symbols]);
        out.add(new ArrayList<>());
        Arrays.fill(go.get(0), -1);
        for (int id = 0; id < literals.size(); id++) {
            String l = literals.get(id);
            int s = 0;
            for (int k = 0; k < l.length(); k++) {
                int sym = symbol[l.charAt(k)];
                if (go.get(s)[sym] < 0) {
                    int[] row = new int[symbols];
                    Arrays.fill(row, -1);
                    go.add(row);
                    out.add(new ArrayList<>());
                    go.get(s)[sym] = go.size() - 1;
                }
                s = go.get(s)[sym];
            }
            out.get(s).add(id);
        }
        int states = go.size();
        int[] fail = new int[states];
        int[][] next = new int[states][];
        int[] queue = new int[states];
        int head = 0;
        int tail = 0;
        next[0] = go.get(0).clone();
        for (int a = 0; a < symbols; a++) {
            if (next[0][a] < 0) {
                next[0][a] = 0;
            } else {
                fail[next[0][a]] = 0;
                queue[tail++] = next[0][a];
            }
        }
        next[0][0] = 0;
        while (head < tail) {
            int s = queue[head++];
            next[s] = go.get(s).clone();
            out.get(s).addAll(out.get(fail[s]));
            for (int a = 0; a < symbols; a++) {
                int t = next[s][a];
                if (a == 0) {
                    next[s][0] = 0;
                } else if (t < 0) {
                    next[s][a] = next[fail[s]][a];
                } else {
                    fail[t] = next[fail[s]][a];
                    queue[tail++] = t;
                }
            }
        }
        int[][] outputs = new int[states][];
        for (int s = 0; s < states; s++) {
            outputs[s] = out.get(s).stream().distinct().mapToInt(Integer::intValue).toArray();
        }
        return new Prefilter(next, outputs, symbol, literals.size());
    }

    /** The ids of the literals that occur in {@code key}. */
    BitSet scan(CharSequence key) {
        BitSet seen = new BitSet(literals);
        int s = 0;
        int[][] next = this.next;
        for (int k = 0, n = key.length(); k < n; k++) {
            char c = fold(key.charAt(k));
            s = next[s][c < 128 ? symbol[c] : 0];
            int[] o = outputs[s];
            for (int id : o) {
                seen.set(id);
            }
        }
        return seen;
    }

    /** ASCII lower case, and the two non-ASCII letters that case-fold to ASCII ones. */
    static char fold(char c) {
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + ('a' - 'A'));
        }
        if (c == '\u212a') {
            return 'k';
        }
        if (c == '\u017f') {
            return 's';
        }
        return c;
    }

    /** Interns literals: the same text from many rules gets one id. */
    static final class Builder {
        private final List<String> literals = new ArrayList<>();
        private final Map<String, Integer> ids = new HashMap<>();

        int id(String literal) {
            return ids.computeIfAbsent(literal, l -> {
                literals.add(l);
                return literals.size() - 1;
            });
        }

        Prefilter build() {
            return Prefilter.build(literals);
        }

        int size() {
            return literals.size();
        }
    }

    /**
     * The required literals of a pattern in RE2 syntax: one list per top-level alternative,
     * each holding every run of plain characters that a match of that alternative must
     * contain (any one of them will do as its filter); null when some alternative has none
     * (the rule must always be tried).
     */
    static String[][] candidateLiterals(String re2) {
        List<String> alternatives = splitTopLevel(re2);
        String[][] result = new String[alternatives.size()][];
        for (int k = 0; k < result.length; k++) {
            List<String> runs = runs(alternatives.get(k));
            if (runs.isEmpty()) {
                return null;
            }
            result[k] = runs.toArray(String[]::new);
        }
        return result;
    }

    /** The longest candidate of each alternative (see {@link #candidateLiterals}). */
    static String[] requiredLiterals(String re2) {
        String[][] c = candidateLiterals(re2);
        if (c == null) {
            return null;
        }
        String[] best = new String[c.length];
        for (int k = 0; k < c.length; k++) {
            best[k] = choose(c[k], l -> 0);
        }
        return best;
    }

    /**
     * The best filter among {@code candidates}: the one fewest rules share
     * ({@code sharedBy}), then the longest, then the first.
     */
    static String choose(String[] candidates, java.util.function.ToIntFunction<String> sharedBy) {
        String best = null;
        int bestShared = Integer.MAX_VALUE;
        for (String c : candidates) {
            int shared = sharedBy.applyAsInt(c);
            if (best == null || shared < bestShared || (shared == bestShared && c.length() > best.length())) {
                best = c;
                bestShared = shared;
            }
        }
        return best;
    }

    private static List<String> splitTopLevel(String re) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        int n = re.length();
        for (int k = 0; k < n; k++) {
            char c = re.charAt(k);
            if (c == '\\') {
                k++;
            } else if (c == '[') {
                k = classEnd(re, k) - 1;
            } else if (c == '(') {
                if (re.startsWith("(?", k) && flagGroupEnd(re, k) > 0) {
                    k = flagGroupEnd(re, k) - 1; // (?i) etc.: not a group
                } else {
                    depth++;
                }
            } else if (c == ')') {
                depth--;
            } else if (c == '|' && depth == 0) {
                parts.add(re.substring(start, k));
                start = k + 1;
            }
        }
        parts.add(re.substring(start));
        return parts;
    }

    /** End (exclusive) of "(?flags)" at k, or -1 when the group at k is not one. */
    private static int flagGroupEnd(String re, int k) {
        int j = k + 2;
        while (j < re.length() && "imsU-".indexOf(re.charAt(j)) >= 0) {
            j++;
        }
        return j < re.length() && re.charAt(j) == ')' ? j + 1 : -1;
    }

    /** End (exclusive) of the bracket expression starting at k (RE2 syntax, as we emit it). */
    static int classEnd(String re, int k) {
        int j = k + 1;
        int n = re.length();
        if (j < n && re.charAt(j) == '^') {
            j++;
        }
        if (j < n && re.charAt(j) == ']') {
            j++;
        }
        while (j < n) {
            char c = re.charAt(j);
            if (c == '\\') {
                j += 2;
            } else if (c == '[' && j + 1 < n && re.charAt(j + 1) == ':') {
                int end = re.indexOf(":]", j + 2);
                j = end < 0 ? j + 1 : end + 2;
            } else if (c == ']') {
                return j + 1;
            } else {
                j++;
            }
        }
        return n;
    }

    /** End (exclusive) of the group starting at k. */
    private static int groupEnd(String re, int k) {
        int depth = 0;
        int n = re.length();
        for (int j = k; j < n; j++) {
            char c = re.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == '[') {
                j = classEnd(re, j) - 1;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return j + 1;
            }
        }
        return n;
    }

    /** The runs of required plain ASCII characters in one alternative (no top-level '|'). */
    private static List<String> runs(String re) {
        List<String> runs = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        int n = re.length();
        int k = 0;
        while (k < n) {
            char c = re.charAt(k);
            int atomEnd;
            int literal = -1; // the atom's character when it is a plain one
            if (c == '\\') {
                char e = k + 1 < n ? re.charAt(k + 1) : 'x';
                atomEnd = k + 2;
                if (e < 128 && !LogicalLines.isAlnum(e) && !LogicalLines.isSpace(e)) {
                    literal = e;
                } else if (e == 'x' && k + 2 < n && re.charAt(k + 2) == '{') {
                    int close = re.indexOf('}', k);
                    atomEnd = close < 0 ? n : close + 1;
                } else if (e == 'x') {
                    atomEnd = Math.min(n, k + 4);
                } else if (e == 'p' || e == 'P') {
                    if (k + 2 < n && re.charAt(k + 2) == '{') {
                        int close = re.indexOf('}', k);
                        atomEnd = close < 0 ? n : close + 1;
                    } else {
                        atomEnd = Math.min(n, k + 3);
                    }
                } else if (e >= '0' && e <= '7') {
                    int j = k + 1;
                    while (j < n && j < k + 4 && re.charAt(j) >= '0' && re.charAt(j) <= '7') {
                        j++;
                    }
                    atomEnd = j;
                }
            } else if (c == '[') {
                atomEnd = classEnd(re, k);
            } else if (c == '(') {
                int flags = re.startsWith("(?", k) ? flagGroupEnd(re, k) : -1;
                if (flags > 0) {
                    k = flags; // zero-width; does not break the run
                    continue;
                }
                atomEnd = groupEnd(re, k);
            } else if (c == '.' || c == '^' || c == '$') {
                atomEnd = k + 1;
            } else {
                atomEnd = k + 1;
                if (c < 128) {
                    literal = Prefilter.fold(c);
                }
            }
            // The repetition operator after the atom, if any.
            int q = atomEnd;
            boolean optional = false;
            boolean repeated = false;
            if (q < n) {
                char op = re.charAt(q);
                if (op == '*' || op == '?') {
                    optional = true;
                    q++;
                } else if (op == '+') {
                    repeated = true;
                    q++;
                } else if (op == '{') {
                    int close = re.indexOf('}', q);
                    String body = close < 0 ? "" : re.substring(q + 1, close);
                    if (body.matches("\\d+(,\\d*)?")) {
                        optional = body.startsWith("0") && !body.matches("0*[1-9].*");
                        repeated = true;
                        q = close + 1;
                    }
                }
                if ((optional || repeated) && q < n && re.charAt(q) == '?') {
                    q++; // lazy
                }
            }
            if (literal >= 0 && !optional) {
                run.append((char) literal);
                if (repeated) {
                    flush(runs, run);
                }
            } else {
                flush(runs, run);
            }
            k = q;
        }
        flush(runs, run);
        return runs;
    }

    private static void flush(List<String> runs, StringBuilder run) {
        if (run.length() >= MIN_LITERAL) {
            runs.add(run.toString());
        }
        run.setLength(0);
    }
}
