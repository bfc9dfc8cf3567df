package dev.portcullis.content.rules;

import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.RuleSet;
import dev.portcullis.content.check.Table;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The tables in force, and their hot reload. Every table a check parameter names is opened
 * at start-up; one that cannot be opened stops the service with the opener's message
 * (file:line: problem). {@link #reload()} re-opens each table whose file changed (modification
 * time, size or file key); a table that no longer loads keeps its last good rules, and its
 * error stays visible ({@link #status()}) until a later version loads. A table named by
 * several parameters (mime_header_checks defaults to $header_checks) is opened once.
 *
 * <p>Thread-safe: lookups read one immutable {@link RuleSet} snapshot; reloads are
 * serialised.
 */
public final class RuleBook {

    private static final Logger LOG = Logger.getLogger(RuleBook.class);

    private final Map<Checks, List<String>> names;
    private final TableOpener opener;
    private final Clock clock;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private volatile RuleSet current;
    private volatile Instant lastCheck;
    private volatile Instant lastChange;
    private long reloads;
    private long failures;

    /**
     * Opens every table now.
     *
     * @throws RuntimeException the opener's exception for the first table that does not open
     */
    public RuleBook(Map<Checks, List<String>> names, TableOpener opener, Clock clock) {
        this.names = new EnumMap<>(Checks.class);
        this.names.putAll(names);
        this.opener = opener;
        this.clock = clock;
        for (List<String> list : names.values()) {
            for (String name : list) {
                if (!entries.containsKey(name)) {
                    Stamp stamp = Stamp.of(name);
                    Table t = opener.open(name);
                    entries.put(name, new Entry(name, t, stamp, clock.instant(), countRules(name), null, null));
                }
            }
        }
        lastCheck = clock.instant();
        lastChange = lastCheck;
        current = build();
    }

    /** The rules in force now. */
    public RuleSet rules() {
        return current;
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
        return e == null ? null : e.table;
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
            Stamp stamp = Stamp.of(old.name);
            if (stamp.equals(old.stamp) || stamp.equals(old.failedStamp())) {
                continue;
            }
            try {
                Table t = opener.open(old.name);
                me.setValue(new Entry(old.name, t, stamp, clock.instant(), countRules(old.name), null, null));
                reloads++;
                changed = true;
                LOG.infof("reloaded %s (%d rules)", old.name, me.getValue().rules);
            } catch (RuntimeException e) {
                failures++;
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                me.setValue(old.failed(why, clock.instant(), stamp));
                LOG.errorf("%s: reload failed, keeping the last good rules: %s", old.name, why);
            }
        }
        lastCheck = clock.instant();
        if (changed) {
            lastChange = lastCheck;
            current = build();
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

    private RuleSet build() {
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        names.forEach((c, list) -> {
            List<Table> tables = new ArrayList<>();
            for (String n : list) {
                tables.add(entries.get(n).table);
            }
            t.put(c, tables);
        });
        return new RuleSet(t);
    }

    /**
     * Rules in a table file, for the status page: logical lines (not blank, not comments,
     * not continuations) other than {@code endif}. The table engine itself does the parsing.
     */
    static int countRules(String name) {
        Path p = path(name);
        if (p == null) {
            return -1;
        }
        try {
            int n = 0;
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#") || Character.isWhitespace(line.charAt(0))
                        || s.equalsIgnoreCase("endif")) {
                    continue;
                }
                n++;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static Path path(String name) {
        int colon = name.indexOf(':');
        if (colon < 0 || colon == name.length() - 1) {
            return null;
        }
        try {
            return Path.of(name.substring(colon + 1));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Status of every table. */
    public record Status(List<TableStatus> tables, Instant lastCheck, Instant lastChange, long reloads,
                         long failures) {
    }

    /**
     * @param name     the table, {@code type:/path}
     * @param usedBy   the parameters that name it
     * @param rules    rules in the file as loaded (-1 when it cannot be counted)
     * @param loadedAt when the version in force was loaded
     * @param error    why the newest version did not load (null when it did)
     * @param errorAt  when that failed
     */
    public record TableStatus(String name, List<String> usedBy, int rules, Instant loadedAt, String error,
                              Instant errorAt) {
    }

    /** Identifies one version of a file. */
    record Stamp(long modified, long size, Object key) {
        static final Stamp MISSING = new Stamp(-1, -1, null);

        static Stamp of(String name) {
            Path p = path(name);
            if (p == null) {
                return MISSING;
            }
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime().toMillis(), a.size(), a.fileKey());
            } catch (NoSuchFileException e) {
                return MISSING;
            } catch (IOException e) {
                return MISSING;
            }
        }
    }

    private record Entry(String name, Table table, Stamp stamp, Instant loadedAt, int rules, String error,
                         Instant errorAt, Stamp failed) {
        Entry(String name, Table table, Stamp stamp, Instant loadedAt, int rules, String error, Instant errorAt) {
            this(name, table, stamp, loadedAt, rules, error, errorAt, null);
        }

        Stamp failedStamp() {
            return failed;
        }

        Entry failed(String why, Instant at, Stamp newStamp) {
            return new Entry(name, table, stamp, loadedAt, rules, why, at, Objects.requireNonNull(newStamp));
        }
    }
}
