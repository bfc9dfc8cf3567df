package dev.portcullis.content.rules;

import dev.portcullis.content.check.Table;
import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.Tables;

import java.util.Optional;

/**
 * postfix-compat's lookup tables as the inspector sees them ({@link Tables#open(String)},
 * strict mode: a rule Postfix would skip with a warning stops the load with file:line and the
 * problem).
 */
public final class PostfixTables {

    private PostfixTables() {
    }

    /** Opens a table once (no reload). */
    public static Table open(String typeAndName) {
        return adapt(Tables.open(typeAndName));
    }

    /** The inspector's view of an opened table. */
    public static Table adapt(LookupTable table) {
        return new Adapter(table);
    }

    private record Adapter(LookupTable table) implements Table {
        @Override
        public String name() {
            return table.name();
        }

        @Override
        public Optional<Match> find(String key) {
            return table.find(key).map(m -> new Match(m.value(), m.origin().toString()));
        }
    }
}
