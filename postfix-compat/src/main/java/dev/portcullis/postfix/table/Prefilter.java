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

    // The automaton in compact form: the root's moves as a 128-entry table, every other state's
    // moves as a sorted run of (char, target) in edgeChar/edgeTarget from edgeStart[s] to
    // edgeStart[s + 1], its failure link, and the literal ids it reports (failure chain folded
    // in) from outStart[s] to outStart[s + 1]. A 10,000-rule table has ~150,000 states, mostly
    // in chains of one move each: a complete DFA row per state would cost tens of megabytes.
    private final int[] root;
    private final int[] edgeStart;
    private final char[] edgeChar;
    private final int[] edgeTarget;
    private final int[] fail;
    private final int[] outStart;
    private final int[] outIds;
    private final int literals;

    private Prefilter(int[] root, int[] edgeStart, char[] edgeChar, int[] edgeTarget, int[] fail, int[] outStart,
                      int[] outIds, int literals) {
        this.root = root;
        this.edgeStart = edgeStart;
        this.edgeChar = edgeChar;
        this.edgeTarget = edgeTarget;
        this.fail = fail;
        this.outStart = outStart;
        this.outIds = outIds;
        this.literals = literals;
    }

    /** Builds the automaton for {@code literals} (lower-case ASCII), ids by position. */
    static Prefilter build(List<String> literals) {
        // Trie, children as sorted maps while building.
        List<java.util.TreeMap<Character, Integer>> children = new ArrayList<>();
        List<List<Integer>> own = new ArrayList<>();
        children.add(new java.util.TreeMap<>());
        own.add(new ArrayList<>());
        for (int id = 0; id < literals.size(); id++) {
            String l = literals.get(id);
            int s = 0;
            for (int k = 0; k < l.length(); k++) {
                char c = l.charAt(k);
                if (c >= 128) {
                    throw new IllegalArgumentException("literal must be ASCII: " + l);
                }
                Integer t = children.get(s).get(c);
                if (t == null) {
                    t = children.size();
                    children.add(new java.util.TreeMap<>());
                    own.add(new ArrayList<>());
                    children.get(s).put(c, t);
                }
                s = t;
            }
            own.get(s).add(id);
        }
        int states = children.size();
        int[] edgeStart = new int[states + 1];
        int edges = 0;
        for (int s = 0; s < states; s++) {
            edgeStart[s] = edges;
            edges += s == 0 ? 0 : children.get(s).size();
        }
        edgeStart[states] = edges;
        char[] edgeChar = new char[edges];
        int[] edgeTarget = new int[edges];
        for (int s = 1; s < states; s++) {
            int e = edgeStart[s];
            for (var m : children.get(s).entrySet()) {
                edgeChar[e] = m.getKey();
                edgeTarget[e++] = m.getValue();
            }
        }
        int[] root = new int[128];
        children.get(0).forEach((c, t) -> root[c] = t);
        // Failure links and folded outputs, breadth first (a state's failure is shallower).
        int[] fail = new int[states];
        List<int[]> out = new ArrayList<>(java.util.Collections.nCopies(states, (int[]) null));
        out.set(0, new int[0]);
        int[] queue = new int[states];
        int head = 0;
        int tail = 0;
        for (int t : children.get(0).values()) {
            queue[tail++] = t;
        }
        Prefilter partial = new Prefilter(root, edgeStart, edgeChar, edgeTarget, fail, null, null, literals.size());
        while (head < tail) {
            int s = queue[head++];
            int[] mine = own.get(s).stream().mapToInt(Integer::intValue).toArray();
            int[] inherited = out.get(fail[s]);
            out.set(s, java.util.stream.IntStream.concat(Arrays.stream(mine),
                    Arrays.stream(inherited)).distinct().toArray());
            for (var m : children.get(s).entrySet()) {
                int t = m.getValue();
                fail[t] = partial.step(fail[s], m.getKey());
                queue[tail++] = t;
            }
        }
        for (int s = 0; s < states; s++) {
            if (out.get(s) == null) { // root's children were queued; root itself has no output
                out.set(s, new int[0]);
            }
        }
        int[] outStart = new int[states + 1];
        int total = 0;
        for (int s = 0; s < states; s++) {
            outStart[s] = total;
            total += out.get(s).length;
        }
        outStart[states] = total;
        int[] outIds = new int[total];
        for (int s = 0; s < states; s++) {
            System.arraycopy(out.get(s), 0, outIds, outStart[s], out.get(s).length);
        }
        return new Prefilter(root, edgeStart, edgeChar, edgeTarget, fail, outStart, outIds, literals.size());
    }

    /** The state after reading {@code c} (folded, ASCII) in state {@code s}. */
    private int step(int s, char c) {
        while (s != 0) {
            for (int e = edgeStart[s], end = edgeStart[s + 1]; e < end; e++) {
                if (edgeChar[e] == c) {
                    return edgeTarget[e];
                }
                if (edgeChar[e] > c) {
                    break;
                }
            }
            s = fail[s];
        }
        return root[c];
    }

    /** The ids of the literals that occur in {@code key}. */
    BitSet scan(CharSequence key) {
        BitSet seen = new BitSet(literals);
        int s = 0;
        for (int k = 0, n = key.length(); k < n; k++) {
            char c = fold(key.charAt(k));
            if (c >= 128) {
                s = 0; // no literal holds a non-ASCII character
                continue;
            }
            s = step(s, c);
            for (int o = outStart[s], end = outStart[s + 1]; o < end; o++) {
                seen.set(outIds[o]);
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
