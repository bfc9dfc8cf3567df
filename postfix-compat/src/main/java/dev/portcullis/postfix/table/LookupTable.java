package dev.portcullis.postfix.table;

import java.util.List;
import java.util.Optional;

/**
 * One opened Postfix lookup table: immutable and safe to share between threads.
 *
 * <p>{@link #find} has the lookup semantics of the table's type as Postfix documents them
 * (regexp_table(5), pcre_table(5), cidr_table(5), postmap(1) for texthash/hash, inline):
 * for pattern tables the first matching rule in file order, for hash-style tables the exact
 * (case-folded) key. Partial-key searches such as access(5)'s parent-domain and
 * network-octet search are {@link AccessSearch}'s job, not the table's.
 */
public interface LookupTable {

    /** The table as Postfix names it, e.g. {@code regexp:/etc/postfix/header_checks}. */
    String name();

    /**
     * Looks up {@code key}.
     *
     * @return the value (after {@code $n} substitution, for regexp and pcre) and the rule or
     *         entry it came from; empty when nothing matches
     * @throws TableException on a lookup that Postfix would fail temporarily
     */
    Optional<TableMatch> find(String key);

    /**
     * Whether {@link #find} folds the key to lower case, as Postfix does for fixed-string
     * tables (texthash, hash, inline), and so whether partial-key searches apply.
     */
    default boolean fixedKeys() {
        return false;
    }

    /**
     * The number of rules (regexp, pcre, cidr: match and IF rules, not ENDIFs) or entries
     * (texthash, hash, inline) in force; -1 when unknown.
     */
    default int size() {
        return -1;
    }

    /**
     * What Postfix would have warned about while opening the table (and, in
     * {@link Tables.Mode#POSTFIX} mode, the rules skipped), in file order.
     */
    default List<TableWarning> warnings() {
        return List.of();
    }
}
