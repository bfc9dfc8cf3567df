package dev.portcullis.postfix.table;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.portcullis.postfix.Origin;
import dev.portcullis.postfix.table.PosixRegex.RegexError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A regexp_table(5) or pcre_table(5): rules tried in file order, the first match wins,
 * {@code if}/{@code endif} blocks nest, {@code !/re/} matches when re does not,
 * {@code /re1/!/re2/} (regexp only) when re1 matches and re2 does not, and the result text
 * gets {@code $n} substitution. Parsing follows Postfix's dict_regexp.c and dict_pcre.c,
 * warnings included; matching runs on RE2/J (linear time in the key, whatever the rule) behind
 * one {@link Prefilter} pass for the whole table.
 */
final class RegexTable implements LookupTable {

    enum Kind {
        REGEXP("regexp"), PCRE("pcre");

        final String type;

        Kind(String type) {
            this.type = type;
        }
    }

    /** One compiled pattern with its negation and the prefilter literals (ids) it needs. */
    record Pat(Pattern re, boolean match, int[] literalIds) {
    }

    /** MATCH (first, optional second pattern, result) or IF (pattern, index after its ENDIF). */
    static final class Rule {
        final boolean isIf;
        final Pat first;
        final Pat second;
        final Replacement result;
        final Origin origin;
        int endifNext = -1; // IF: where to go when the condition fails; -1: no ENDIF, stop

        Rule(boolean isIf, Pat first, Pat second, Replacement result, Origin origin) {
            this.isIf = isIf;
            this.first = first;
            this.second = second;
            this.result = result;
            this.origin = origin;
        }
    }

    private final String name;
    private final List<Rule> rules;
    private final Prefilter prefilter;
    private final List<TableWarning> warnings;

    /** Rules that must be looked at whatever the key: IFs, negated first patterns, no literal. */
    private final BitSet always;
    /** Literal id to the (ascending) indices of the rules whose first pattern it filters. */
    private final int[][] byLiteral;
    private final boolean anyLiteral;

    private RegexTable(String name, List<Rule> rules, Prefilter prefilter, List<TableWarning> warnings,
                       int literalCount) {
        this.name = name;
        this.rules = rules;
        this.prefilter = prefilter;
        this.warnings = List.copyOf(warnings);
        this.always = new BitSet(rules.size());
        List<List<Integer>> by = new ArrayList<>();
        for (int id = 0; id < literalCount; id++) {
            by.add(new ArrayList<>());
        }
        boolean literal = false;
        for (int k = 0; k < rules.size(); k++) {
            Rule r = rules.get(k);
            literal |= r.first.literalIds() != null || (r.second != null && r.second.literalIds() != null);
            if (r.isIf || !r.first.match() || r.first.literalIds() == null) {
                always.set(k);
            } else {
                for (int id : r.first.literalIds()) {
                    List<Integer> l = by.get(id);
                    if (l.isEmpty() || l.get(l.size() - 1) != k) {
                        l.add(k);
                    }
                }
            }
        }
        this.byLiteral = by.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
        this.anyLiteral = literal;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<TableWarning> warnings() {
        return warnings;
    }

    @Override
    public int size() {
        return rules.size();
    }

    @Override
    public Optional<TableMatch> find(String key) {
        return find(key, true);
    }

    /**
     * {@link #find}; without the prefilter every rule runs its full match (for tests).
     *
     * <p>With it, one scan of the key gives the literals present; the rules to look at are
     * those of the literals seen plus {@link #always}, visited in file order (a BitSet walk),
     * so a table of 10,000 rules costs a scan and a few rules per key, not 10,000 steps.
     */
    Optional<TableMatch> find(String key, boolean prefiltered) {
        if (key == null) {
            throw new NullPointerException("key");
        }
        BitSet seen;
        BitSet candidates;
        if (!prefiltered) {
            seen = ALL;
            candidates = new BitSet(rules.size());
            candidates.set(0, rules.size());
        } else {
            seen = anyLiteral ? prefilter.scan(key) : ALL;
            candidates = (BitSet) always.clone();
            if (seen != ALL) {
                for (int id = seen.nextSetBit(0); id >= 0; id = seen.nextSetBit(id + 1)) {
                    for (int k : byLiteral[id]) {
                        candidates.set(k);
                    }
                }
            }
        }
        for (int k = candidates.nextSetBit(0); k >= 0; ) {
            Rule r = rules.get(k);
            if (r.isIf) {
                if (test(r.first, key, seen)) {
                    k = candidates.nextSetBit(k + 1);
                    continue;
                }
                if (r.endifNext < 0) {
                    return Optional.empty();
                }
                k = candidates.nextSetBit(r.endifNext);
                continue;
            }
            k = candidates.nextSetBit(k + 1);
            if (r.first.match() && r.result.maxGroup() > 0) {
                if (!possible(r.first, seen)) {
                    continue;
                }
                Matcher m = r.first.re().matcher(key);
                if (!m.find() || (r.second != null && !test(r.second, key, seen))) {
                    continue;
                }
                return Optional.of(new TableMatch(r.result.expand(g -> g <= m.groupCount() ? m.group(g) : null),
                        r.origin));
            }
            if (test(r.first, key, seen) && (r.second == null || test(r.second, key, seen))) {
                return Optional.of(new TableMatch(r.result.expand(g -> null), r.origin));
            }
        }
        return Optional.empty();
    }

    /** Stands for "every literal seen": the prefilter switched off. */
    private static final BitSet ALL = new BitSet();

    /** False when the prefilter proves the pattern cannot match. */
    private static boolean possible(Pat p, BitSet seen) {
        if (p.literalIds() == null || seen == ALL) {
            return true;
        }
        for (int id : p.literalIds()) {
            if (seen.get(id)) {
                return true;
            }
        }
        return false;
    }

    private static boolean test(Pat p, String key, BitSet seen) {
        boolean found = possible(p, seen) && p.re().matcher(key).find();
        return found == p.match();
    }

    // ---------------------------------------------------------------- loading

    /** Parses the text of a table file. */
    static RegexTable parse(Kind kind, String file, String text, Tables.Mode mode) {
        Loader loader = new Loader(kind, file, mode);
        for (LogicalLines.Line line : LogicalLines.split(text, (number, stray) -> loader.problem(number,
                null, file + ": logical line must not start with whitespace: \"" + stray + "\"",
                "logical line must not start with whitespace"))) {
            loader.line(line);
        }
        return loader.finish();
    }

    private static final class Loader {
        final Kind kind;
        final String file;
        final String map;
        final Tables.Mode mode;
        final List<Rule> rules = new ArrayList<>();
        final Deque<Rule> open = new ArrayDeque<>();
        final List<TableWarning> warnings = new ArrayList<>();
        final Prefilter.Builder literals = new Prefilter.Builder();
        /** Patterns whose filter literal is chosen once every rule is known. */
        final List<Pending> pending = new ArrayList<>();
        /** How many pattern alternatives could use each literal. */
        final java.util.Map<String, Integer> shared = new java.util.HashMap<>();

        Loader(Kind kind, String file, Tables.Mode mode) {
            this.kind = kind;
            this.file = file;
            this.map = kind.type + " map " + file;
            this.mode = mode;
        }

        /** A skipped rule: an error in STRICT mode, a warning in POSTFIX mode. */
        void problem(int line, String globalWarning, String postfix, String problem) {
            Origin origin = Origin.at(file, line);
            if (mode == Tables.Mode.STRICT) {
                throw new TableSyntaxException(origin, problem);
            }
            if (globalWarning != null) {
                warnings.add(new TableWarning(origin, globalWarning, globalWarning));
            }
            warnings.add(new TableWarning(origin, problem, postfix));
        }

        /** A rule Postfix skips: "map, line N: problem[: skipping this rule]". */
        void skip(int line, String problem, boolean skipping) {
            problem(line, null, map + ", line " + line + ": " + problem + (skipping ? ": skipping this rule" : ""),
                    problem);
        }

        /** A warning that changes nothing (both modes). */
        void warn(int line, String problem) {
            warnings.add(new TableWarning(Origin.at(file, line), problem, map + ", line " + line + ": " + problem));
        }

        void line(LogicalLines.Line l) {
            String p = LogicalLines.trimTrailing(l.text());
            int line = l.number();
            if (p.isEmpty()) {
                return;
            }
            try {
                if (!LogicalLines.isAlnum(p.charAt(0))) {
                    match(p, line);
                } else if (p.regionMatches(true, 0, "IF", 0, 2) && (p.length() == 2 || !LogicalLines.isAlnum(p.charAt(2)))) {
                    ifRule(p.substring(2), line);
                } else if (p.regionMatches(true, 0, "ENDIF", 0, 5)
                        && (p.length() == 5 || !LogicalLines.isAlnum(p.charAt(5)))) {
                    endif(p.substring(5), line);
                } else {
                    skip(line, "ignoring unrecognized request", false);
                }
            } catch (Skip s) {
                // already reported
            }
        }

        private void match(String p, int line) throws Skip {
            Cursor c = new Cursor(p);
            Raw first = pattern(c, line);
            Raw second = null;
            if (kind == Kind.REGEXP && c.more() && c.peek() == '!') {
                second = pattern(c, line);
            }
            while (c.more() && LogicalLines.isSpace(c.peek())) {
                c.pos++;
            }
            String text = p.substring(c.pos);
            if (text.isEmpty()) {
                warn(line, "no replacement text: using empty string");
            }
            Replacement result;
            try {
                result = Replacement.parse(text);
            } catch (Replacement.Bad b) {
                String problem = (b.local != null ? b.local : b.global) + ": bad replacement syntax";
                Origin origin = Origin.at(file, line);
                if (mode == Tables.Mode.STRICT) {
                    throw new TableSyntaxException(origin, problem);
                }
                if (b.global != null) {
                    warnings.add(new TableWarning(origin, b.global, b.global));
                }
                if (b.local != null) {
                    warnings.add(new TableWarning(origin, b.local, map + ", line " + line + ": " + b.local));
                }
                skip(line, "bad replacement syntax", true);
                throw new Skip();
            }
            if (result.maxGroup() > 0 && !first.match) {
                skip(line, "$number found in negative match replacement text", true);
                throw new Skip();
            }
            Pat firstPat = compile(first, line);
            if (result.maxGroup() > firstPat.re().groupCount()) {
                skip(line, "out of range replacement index \"" + result.maxGroup() + "\"", true);
                throw new Skip();
            }
            Pat secondPat = second == null ? null : compile(second, line);
            rules.add(new Rule(false, firstPat, secondPat, result, Origin.at(file, line)));
        }

        private void ifRule(String rest, int line) throws Skip {
            Cursor c = new Cursor(rest);
            while (c.more() && LogicalLines.isSpace(c.peek())) {
                c.pos++;
            }
            Raw pattern = pattern(c, line);
            while (c.more() && LogicalLines.isSpace(c.peek())) {
                c.pos++;
            }
            if (c.more()) {
                String extra = rest.substring(c.pos);
                String problem = "ignoring extra text after IF statement: \"" + extra + "\"";
                if (mode == Tables.Mode.STRICT) {
                    throw new TableSyntaxException(Origin.at(file, line), problem
                            + " (do not prepend whitespace to statements between IF and ENDIF)");
                }
                warn(line, problem);
                warn(line, "do not prepend whitespace to statements between IF and ENDIF");
            }
            Rule r = new Rule(true, compile(pattern, line), null, null, Origin.at(file, line));
            rules.add(r);
            open.push(r);
        }

        private void endif(String rest, int line) {
            if (open.isEmpty()) {
                skip(line, "ignoring ENDIF without matching IF", false);
                return;
            }
            if (!rest.isBlank()) {
                if (mode == Tables.Mode.STRICT) {
                    throw new TableSyntaxException(Origin.at(file, line), "ignoring extra text after ENDIF");
                }
                warn(line, "ignoring extra text after ENDIF");
            }
            open.pop().endifNext = rules.size();
        }

        RegexTable finish() {
            List<Rule> unclosed = new ArrayList<>(open);
            for (int k = unclosed.size() - 1; k >= 0; k--) { // innermost first, as Postfix reports
                Rule r = unclosed.get(unclosed.size() - 1 - k);
                if (mode == Tables.Mode.STRICT) {
                    throw new TableSyntaxException(r.origin, "IF has no matching ENDIF");
                }
                warn(r.origin.line(), "IF has no matching ENDIF");
            }
            // The literal that fewest rules share filters best ("^Subject:" is in every
            // subject rule; "pills 5" is in one).
            for (Pending p : pending) {
                for (int k = 0; k < p.candidates().length; k++) {
                    p.pat().literalIds()[k] = literals.id(Prefilter.choose(p.candidates()[k], shared::get));
                }
            }
            return new RegexTable(kind.type + ":" + file, List.copyOf(rules), literals.build(), warnings,
                    literals.size());
        }

        record Pending(Pat pat, String[][] candidates) {
        }

        /** A pattern as written: text between the delimiters, its flags and negation. */
        record Raw(String text, String flags, boolean match) {
        }

        private Raw pattern(Cursor c, int line) throws Skip {
            boolean match = true;
            while (c.more() && (c.peek() == '!' || LogicalLines.isSpace(c.peek()))) {
                if (c.peek() == '!') {
                    match = !match;
                }
                c.pos++;
            }
            if (!c.more()) {
                skip(line, "no regexp", true);
                throw new Skip();
            }
            char delim = c.s.charAt(c.pos++);
            StringBuilder re = new StringBuilder();
            boolean closed = false;
            while (c.more()) {
                char ch = c.s.charAt(c.pos);
                if (ch == '\\' && c.pos + 1 < c.s.length()) {
                    // Postfix keeps the backslash: "\/" reaches the regex compiler as is.
                    re.append(ch).append(c.s.charAt(c.pos + 1));
                    c.pos += 2;
                    continue;
                }
                if (ch == '\\') {
                    re.append(ch);
                    c.pos++;
                    break;
                }
                if (ch == delim) {
                    closed = true;
                    c.pos++;
                    break;
                }
                re.append(ch);
                c.pos++;
            }
            if (!closed) {
                String problem = "no closing regexp delimiter \"" + delim + "\"";
                problem(line, null, map + ", line " + line + ": " + problem
                        + (kind == Kind.PCRE ? ": ignoring this rule" : ": skipping this rule"), problem);
                throw new Skip();
            }
            int start = c.pos;
            while (c.more() && !LogicalLines.isSpace(c.peek()) && !(kind == Kind.REGEXP && c.peek() == '!')) {
                char f = c.peek();
                if ((kind == Kind.REGEXP ? "imx" : "imsxAEUX").indexOf(f) < 0) {
                    skip(line, "unknown regexp option \"" + f + "\"", true);
                    throw new Skip();
                }
                c.pos++;
            }
            return new Raw(re.toString(), c.s.substring(start, c.pos), match);
        }

        private Pat compile(Raw raw, int line) throws Skip {
            String re2;
            boolean longest;
            try {
                if (kind == Kind.REGEXP) {
                    boolean icase = true;
                    boolean newline = false;
                    boolean extended = true;
                    for (char f : raw.flags().toCharArray()) {
                        switch (f) {
                            case 'i' -> icase = !icase;
                            case 'm' -> newline = !newline;
                            default -> extended = !extended;
                        }
                    }
                    re2 = PosixRegex.translate(raw.text(), extended, icase, newline).re2();
                    longest = true;
                } else {
                    PcreRegex.Flags d = PcreRegex.Flags.DEFAULT;
                    boolean i = d.caseless(), m = d.multiline(), s = d.dotall(), x = d.extended();
                    boolean a = d.anchored(), e = d.dollarEndOnly(), u = d.ungreedy();
                    for (char f : raw.flags().toCharArray()) {
                        switch (f) {
                            case 'i' -> i = !i;
                            case 'm' -> m = !m;
                            case 's' -> s = !s;
                            case 'x' -> x = !x;
                            case 'A' -> a = !a;
                            case 'E' -> e = !e;
                            case 'U' -> u = !u;
                            default -> { // X: "not supported with PCRE2", as Postfix 3.7 ignores it
                            }
                        }
                    }
                    re2 = PcreRegex.translate(raw.text(), new PcreRegex.Flags(i, m, s, x, a, e, u));
                    longest = false;
                }
            } catch (RegexError err) {
                String problem = kind == Kind.PCRE ? "error in regex: " + err.getMessage() : err.getMessage();
                skip(line, problem, false);
                throw new Skip();
            }
            String tooBig = RegexBudget.check(re2);
            if (tooBig != null) {
                skip(line, (kind == Kind.PCRE ? "error in regex: " : "") + tooBig, false);
                throw new Skip();
            }
            Pattern pattern;
            try {
                pattern = Pattern.compile(re2, longest ? Pattern.LONGEST_MATCH : 0);
            } catch (StackOverflowError err) {
                skip(line, (kind == Kind.PCRE ? "error in regex: " : "") + "regular expression nested too deeply", false);
                throw new Skip();
            } catch (PatternSyntaxException err) {
                skip(line, (kind == Kind.PCRE ? "error in regex: " : "") + err.getDescription()
                        + " in " + PcreRegex.shown(raw.text(), 60), false);
                throw new Skip();
            }
            String[][] candidates = Prefilter.candidateLiterals(re2);
            Pat pat = new Pat(pattern, raw.match(), candidates == null ? null : new int[candidates.length]);
            if (candidates != null) {
                pending.add(new Pending(pat, candidates));
                for (String[] alternative : candidates) {
                    for (String c : new java.util.HashSet<>(List.of(alternative))) {
                        shared.merge(c, 1, Integer::sum);
                    }
                }
            }
            return pat;
        }
    }

    private static final class Cursor {
        final String s;
        int pos;

        Cursor(String s) {
            this.s = s;
        }

        boolean more() {
            return pos < s.length();
        }

        char peek() {
            return s.charAt(pos);
        }
    }

    /** A rule already reported and skipped. */
    private static final class Skip extends Exception {
        private static final long serialVersionUID = 1L;

        Skip() {
            super(null, null, false, false);
        }
    }
}
