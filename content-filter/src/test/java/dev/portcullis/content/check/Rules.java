package dev.portcullis.content.check;

import dev.portcullis.content.rules.PostfixTables;
import dev.portcullis.postfix.table.Tables;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Test rule sets: postfix-compat's real regexp/pcre tables built from text. */
final class Rules {

    private final Map<Checks, List<Table>> tables = new EnumMap<>(Checks.class);

    static Rules with(Checks c, String regexpText) {
        return new Rules().and(c, regexpText);
    }

    /** Adds a regexp: table named after the check (file:line origins read "header_checks:N"). */
    Rules and(Checks c, String regexpText) {
        return and(c, "regexp:" + c.parameter(), regexpText);
    }

    Rules and(Checks c, String typeAndName, String text) {
        tables.computeIfAbsent(c, k -> new ArrayList<>())
                .add(PostfixTables.adapt(Tables.parse(typeAndName, text, Tables.Mode.STRICT)));
        return this;
    }

    RuleSet build() {
        return new RuleSet(tables);
    }
}
