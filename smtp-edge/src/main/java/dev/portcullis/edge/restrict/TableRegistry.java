package dev.portcullis.edge.restrict;

import dev.portcullis.postfix.PostfixParameters;
import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.ReloadingTable;
import dev.portcullis.postfix.table.TableException;
import dev.portcullis.postfix.table.Tables;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every lookup table the restrictions and the recipient maps use, each opened once however
 * often main.cf names it, and each a {@link ReloadingTable}: {@link #reload} (from a timer,
 * never from an event loop) re-reads the files that changed on disk. A table that no longer
 * parses keeps the last good one in force and is reported once per distinct error
 * (file:line: problem), so a ConfigMap edit that breaks a table never leaves sessions without
 * one. Lookups in the sessions never wait for a reload: each sees one complete table.
 */
final class TableRegistry {

    private final Map<String, ReloadingTable> tables = new LinkedHashMap<>();
    /** The last error reported per table, so a broken file is logged when it breaks, not every poll. */
    private final Map<String, String> reported = new LinkedHashMap<>();

    /**
     * Opens {@code typeAndName} (or returns the one already open), named in errors as a value
     * of {@code parameter}.
     *
     * @throws dev.portcullis.postfix.PostfixConfigException naming file:line, parameter and problem
     */
    LookupTable open(PostfixParameters p, String parameter, String typeAndName) {
        ReloadingTable t = tables.get(typeAndName);
        if (t != null) {
            return t;
        }
        int colon = typeAndName.indexOf(':');
        String type = colon <= 0 ? "" : typeAndName.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!Tables.SUPPORTED.contains(type)) {
            // Notably proxy:unix:passwd.byname, Postfix's local_recipient_maps default: the
            // edge has no passwd database and no proxymap(8).
            throw p.invalid(parameter, "table " + typeAndName + ": unsupported dictionary type: "
                    + (type.isEmpty() ? typeAndName : type) + " (this edge reads " + String.join(", ",
                    new java.util.TreeSet<>(Tables.SUPPORTED)) + ")");
        }
        try {
            t = new ReloadingTable(typeAndName, Tables.Mode.STRICT);
        } catch (TableException e) {
            throw p.invalid(parameter, "table " + typeAndName + ": " + e.getMessage());
        }
        tables.put(typeAndName, t);
        return t;
    }

    /** The tables of a maps parameter (local_recipient_maps, ...), in order; empty when it is. */
    List<LookupTable> openAll(PostfixParameters p, String parameter) {
        if (!p.has(parameter)) {
            return List.of();
        }
        return p.list(parameter).stream().map(name -> open(p, parameter, name)).toList();
    }

    /**
     * Re-reads every table whose file changed; {@code log} gets one line per table replaced
     * and one per newly broken file.
     *
     * @return how many tables were replaced
     */
    synchronized int reload(Consumer<String> log) {
        int replaced = 0;
        for (Map.Entry<String, ReloadingTable> e : tables.entrySet()) {
            ReloadingTable t = e.getValue();
            if (t.reload()) {
                replaced++;
                reported.remove(e.getKey());
                log.accept("reloaded table " + e.getKey() + " (" + t.size() + " entries)");
                continue;
            }
            String error = t.lastError().orElse(null);
            if (error != null && !error.equals(reported.get(e.getKey()))) {
                reported.put(e.getKey(), error);
                log.accept("warning: table " + e.getKey() + " not reloaded, the last good one stays in force: "
                        + error);
            }
        }
        return replaced;
    }

    /** The tables, for health and tests. */
    synchronized Map<String, ReloadingTable> tables() {
        return Map.copyOf(tables);
    }
}
