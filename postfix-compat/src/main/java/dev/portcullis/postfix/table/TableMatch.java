package dev.portcullis.postfix.table;

import dev.portcullis.postfix.Origin;
import java.util.Objects;

/**
 * The result of a lookup.
 *
 * @param value  the table's value, after {@code $n} substitution for regexp and pcre tables
 * @param origin the file and line of the rule or entry that matched ({@code inline:{...}}
 *               entries have the table name and no line)
 */
public record TableMatch(String value, Origin origin) {

    public TableMatch {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(origin, "origin");
    }
}
