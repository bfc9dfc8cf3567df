package dev.portcullis.content.check;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tables in force for each of the four checks. A parameter may name several tables
 * ({@code header_checks = regexp:/a, pcre:/b}); they are searched in order and the first
 * that has a match answers, as Postfix's maps(3) does.
 */
public final class RuleSet {

    private final Map<Checks, List<Table>> tables;

    public RuleSet(Map<Checks, List<Table>> tables) {
        EnumMap<Checks, List<Table>> copy = new EnumMap<>(Checks.class);
        for (Checks c : Checks.values()) {
            copy.put(c, List.copyOf(tables.getOrDefault(c, List.of())));
        }
        this.tables = copy;
    }

    /** A set without any table: nothing is inspected. */
    public static RuleSet empty() {
        return new RuleSet(Map.of());
    }

    public List<Table> tables(Checks checks) {
        return tables.get(checks);
    }

    public boolean isEmpty(Checks checks) {
        return tables.get(checks).isEmpty();
    }

    /** The first match for {@code key} in the tables of {@code checks}. */
    public Optional<Table.Match> find(Checks checks, String key) {
        for (Table t : tables.get(checks)) {
            Optional<Table.Match> m = t.find(key);
            if (m.isPresent()) {
                return m;
            }
        }
        return Optional.empty();
    }
}
