package dev.portcullis.postfix.table;

import dev.portcullis.postfix.CidrPattern;
import dev.portcullis.postfix.InetPton;
import dev.portcullis.postfix.Origin;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A cidr_table(5): {@code network/mask result} rules tried in file order, the first match
 * wins; {@code !pattern} matches an address of the same family outside the network;
 * {@code if pattern} ... {@code endif} nest. A key that is not an IPv4 or IPv6 address (as
 * inet_pton(3) reads it) matches nothing; an IPv4 pattern never matches an IPv6 key or the
 * reverse, negated or not. Networks with host bits set are skipped with Postfix 3.7's warning
 * ("non-null host address bits in ..., perhaps you should use ... instead"), or refused in
 * STRICT mode.
 */
final class CidrTable implements LookupTable {

    private record Rule(boolean isIf, CidrPattern network, boolean match, String value, Origin origin,
                        int[] endifNext) {
    }

    private final String name;
    private final List<Rule> rules;
    private final List<TableWarning> warnings;

    private CidrTable(String name, List<Rule> rules, List<TableWarning> warnings) {
        this.name = name;
        this.rules = rules;
        this.warnings = List.copyOf(warnings);
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
        byte[] address = key.indexOf(':') >= 0 ? InetPton.v6(key) : InetPton.v4(key);
        if (address == null) {
            return Optional.empty();
        }
        int k = 0;
        while (k < rules.size()) {
            Rule r = rules.get(k);
            boolean sameFamily = address.length * 8 == r.network().network().getBitCount();
            boolean hit = sameFamily && r.network().contains(address) == r.match();
            if (r.isIf()) {
                if (hit) {
                    k++;
                } else if (r.endifNext()[0] < 0) {
                    return Optional.empty();
                } else {
                    k = r.endifNext()[0];
                }
                continue;
            }
            if (hit) {
                return Optional.of(new TableMatch(r.value(), r.origin()));
            }
            k++;
        }
        return Optional.empty();
    }

    static CidrTable parse(String file, String text, Tables.Mode mode) {
        String map = "cidr map " + file;
        List<Rule> rules = new ArrayList<>();
        List<TableWarning> warnings = new ArrayList<>();
        Deque<Rule> open = new ArrayDeque<>();
        Problems problems = new Problems(file, map, mode, warnings);
        for (LogicalLines.Line l : LogicalLines.split(text, (n, stray) -> problems.skip(n,
                "logical line must not start with whitespace: \"" + stray + "\"",
                file + ": logical line must not start with whitespace: \"" + stray + "\""))) {
            String p = LogicalLines.trimTrailing(l.text());
            int line = l.number();
            Origin origin = Origin.at(file, line);
            boolean isIf = p.regionMatches(true, 0, "IF", 0, 2) && (p.length() == 2 || !LogicalLines.isAlnum(p.charAt(2)));
            boolean isEndif = p.regionMatches(true, 0, "ENDIF", 0, 5)
                    && (p.length() == 5 || !LogicalLines.isAlnum(p.charAt(5)));
            if (isEndif) {
                // dict_cidr.c: an ENDIF with text after it is skipped whole (it closes nothing)
                if (!p.substring(5).isBlank()) {
                    problems.skip(line, "garbage after ENDIF", null);
                } else if (open.isEmpty()) {
                    problems.skip(line, "ENDIF without IF", null);
                } else {
                    open.pop().endifNext()[0] = rules.size();
                }
                continue;
            }
            String pattern;
            String value;
            if (isIf) { // the rest of the line is the pattern: "if 10.0.0.0/8 x" is a bad mask
                pattern = p.substring(2).strip();
                value = "";
            } else {
                int end = 0;
                while (end < p.length() && !LogicalLines.isSpace(p.charAt(end))) {
                    end++;
                }
                pattern = p.substring(0, end);
                value = p.substring(end).strip();
            }
            boolean match = true;
            while (pattern.startsWith("!")) {
                match = !match;
                pattern = pattern.substring(1);
            }
            if (!isIf && value.isEmpty()) {
                problems.skip(line, "no lookup result", null);
                continue;
            }
            CidrPattern network;
            try {
                network = CidrPattern.parse(pattern);
            } catch (CidrPattern.Bad e) {
                problems.skip(line, e.getMessage(), null);
                continue;
            }
            Rule r = new Rule(isIf, network, match, value, origin, new int[] {-1});
            rules.add(r);
            if (isIf) {
                open.push(r);
            }
        }
        for (Rule r : open) {
            if (mode == Tables.Mode.STRICT) {
                throw new TableSyntaxException(r.origin(), "IF has no matching ENDIF");
            }
            problems.warn(r.origin().line(), "IF has no matching ENDIF");
        }
        return new CidrTable("cidr:" + file, List.copyOf(rules), warnings);
    }

    /** Reports skipped lines (STRICT: refuses them) and warnings, with Postfix's prefix. */
    record Problems(String file, String map, Tables.Mode mode, List<TableWarning> warnings) {

        /** A line Postfix skips; {@code postfix} null means "map, line N: problem: skipping this rule". */
        void skip(int line, String problem, String postfix) {
            Origin origin = Origin.at(file, line);
            if (mode == Tables.Mode.STRICT) {
                throw new TableSyntaxException(origin, problem);
            }
            warnings.add(new TableWarning(origin, problem,
                    postfix != null ? postfix : map + ", line " + line + ": " + problem + ": skipping this rule"));
        }

        void warn(int line, String problem) {
            warnings.add(new TableWarning(Origin.at(file, line), problem, map + ", line " + line + ": " + problem));
        }
    }
}
