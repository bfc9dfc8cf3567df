package dev.portcullis.content.rules;

import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.RuleSet;
import dev.portcullis.content.check.Table;
import dev.portcullis.postfix.table.ReloadingTable;
import dev.portcullis.postfix.table.Tables;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tables in force, and their hot reload. Every table a check parameter names is opened
 * at start-up as a postfix-compat {@link ReloadingTable} (strict mode); one that cannot be
 * opened stops the service with the table's message (file:line: problem). {@link #reload()}
 * asks each table to re-read its file if it changed; a version that does not load leaves the
 * last good rules in force, and its error stays visible ({@link #status()}) until a later
 * version loads. A table named by several parameters (mime_header_checks defaults to
 * $header_checks) is opened once.
 *
 * <p>Thread-safe: lookups go to each table's current version; reloads are serialised.
 */
public final class RuleBook {

    private static final Logger LOG = Logger.getLogger(RuleBook.class);

    private final Map<Checks, List<String>> names;
    private final Clock clock;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final RuleSet rules;
    private volatile Instant lastCheck;
    private volatile Instant lastChange;
    private long reloads;
    private long failures;

    /**
     * Opens every table now.
     *
     * @throws dev.portcullis.postfix.table.TableException for the first table that does not open
     */
    public RuleBook(Map<Checks, List<String>> names, Clock clock) {
        this.names = new EnumMap<>(Checks.class);
        this.names.putAll(names);
        this.clock = clock;
        for (List<String> list : names.values()) {
            for (String name : list) {
                if (!entries.containsKey(name)) {
                    ReloadingTable t = new ReloadingTable(name, Tables.Mode.STRICT);
                    entries.put(name, new Entry(name, t, PostfixTables.adapt(t), clock.instant(), t.size(),
                            null, null));
                }
            }
        }
        lastCheck = clock.instant();
        lastChange = lastCheck;
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        this.names.forEach((c, list) -> {
            List<Table> tables = new ArrayList<>();
            for (String n : list) {
                tables.add(entries.get(n).view);
            }
            t.put(c, tables);
        });
        rules = new RuleSet(t);
    }

    /** The rules in force (each table answers from its current version). */
    public RuleSet rules() {
        return rules;
    }

    /** The names each check searches, in order. */
    public Map<Checks, List<String>> names() {
        return names;
    }

    /** The table called {@code name} (as a parameter names it), or null. */
    public Table table(String name) {
        Entry e;
        synchronized (this) {
            e = entries.get(name);
        }
        return e == null ? null : e.view;
    }

    /**
     * Re-opens the tables whose files changed.
     *
     * @return true when the rules in force changed
     */
    public synchronized boolean reload() {
        boolean changed = false;
        for (Map.Entry<String, Entry> me : entries.entrySet()) {
            Entry old = me.getValue();
            if (old.table.reload()) {
                me.setValue(new Entry(old.name, old.table, old.view, clock.instant(), old.table.size(), null, null));
                reloads++;
                changed = true;
                LOG.infof("reloaded %s (%d rules)", old.name, me.getValue().rules);
                continue;
            }
            String error = old.table.lastError().orElse(null);
            if (error != null && !error.equals(old.error)) {
                failures++;
                me.setValue(new Entry(old.name, old.table, old.view, old.loadedAt, old.rules, error, clock.instant()));
                LOG.errorf("%s: reload failed, keeping the last good rules: %s", old.name, error);
            } else if (error == null && old.error != null) {
                // Back to the version in force (same content): nothing failed any more.
                me.setValue(new Entry(old.name, old.table, old.view, old.loadedAt, old.rules, null, null));
            }
        }
        lastCheck = clock.instant();
        if (changed) {
            lastChange = lastCheck;
        }
        return changed;
    }

    /** What is loaded, when, and what failed. */
    public synchronized Status status() {
        List<TableStatus> tables = new ArrayList<>();
        for (Entry e : entries.values()) {
            List<String> usedBy = new ArrayList<>();
            names.forEach((c, list) -> {
                if (list.contains(e.name)) {
                    usedBy.add(c.parameter());
                }
            });
            tables.add(new TableStatus(e.name, usedBy, e.rules, e.loadedAt, e.error, e.errorAt));
        }
        return new Status(tables, lastCheck, lastChange, reloads, failures);
    }

    /** The number of tables whose newest version did not load. */
    public synchronized int errorCount() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (e.error != null) {
                n++;
            }
        }
        return n;
    }

    /** Status of every table. */
    public record Status(List<TableStatus> tables, Instant lastCheck, Instant lastChange, long reloads,
                         long failures) {
    }

    /**
     * @param name     the table, {@code type:/path}
     * @param usedBy   the parameters that name it
     * @param rules    rules in force (postfix-compat's count: match and IF rules; -1 when unknown)
     * @param loadedAt when the version in force was loaded
     * @param error    why the newest version did not load (null when it did)
     * @param errorAt  when that failed
     */
    public record TableStatus(String name, List<String> usedBy, int rules, Instant loadedAt, String error,
                              Instant errorAt) {
    }

    private record Entry(String name, ReloadingTable table, Table view, Instant loadedAt, int rules, String error,
                         Instant errorAt) {
    }
}
