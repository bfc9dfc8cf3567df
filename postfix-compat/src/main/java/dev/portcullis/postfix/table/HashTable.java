package dev.portcullis.postfix.table;

import dev.portcullis.postfix.Origin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A fixed-key table: {@code texthash:/file}, read as Postfix reads it, and {@code hash:/file}
 * (also btree, lmdb, cdb, dbm), read from the source file {@code /file} that postmap(1) would
 * turn into {@code /file.db}, with postmap's rules (postmap(1) INPUT FILE FORMAT): "key
 * whitespace value", the key folded to lower case, surrounding whitespace stripped, a key in
 * double quotes may hold whitespace (the quotes stay part of the key), the first of duplicate
 * keys wins (with postmap's "duplicate entry" warning), a line without a value is skipped.
 * Lookups fold the key the same way, so they are case-insensitive.
 */
final class HashTable implements LookupTable {

    private record Entry(String value, Origin origin) {
    }

    private final String name;
    private final Map<String, Entry> entries;
    private final List<TableWarning> warnings;

    private HashTable(String name, Map<String, Entry> entries, List<TableWarning> warnings) {
        this.name = name;
        this.entries = entries;
        this.warnings = List.copyOf(warnings);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean fixedKeys() {
        return true;
    }

    @Override
    public List<TableWarning> warnings() {
        return warnings;
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public Optional<TableMatch> find(String key) {
        Entry e = entries.get(fold(key));
        return e == null ? Optional.empty() : Optional.of(new TableMatch(e.value(), e.origin()));
    }

    /** Postfix's key folding for fixed-string tables. */
    static String fold(String key) {
        return key.toLowerCase(Locale.ROOT);
    }

    static HashTable parse(String type, String file, String text, Tables.Mode mode) {
        boolean texthash = type.equals("texthash");
        Map<String, Entry> entries = new HashMap<>();
        List<TableWarning> warnings = new ArrayList<>();
        CidrTable.Problems problems = new CidrTable.Problems(file, file, mode, warnings);
        for (LogicalLines.Line l : LogicalLines.split(text, (n, stray) -> problems.skip(n,
                "logical line must not start with whitespace: \"" + stray + "\"",
                file + ": logical line must not start with whitespace: \"" + stray + "\""))) {
            String p = LogicalLines.trimTrailing(l.text());
            int line = l.number();
            int end = keyEnd(p);
            String key = p.substring(0, end);
            int v = end;
            while (v < p.length() && LogicalLines.isSpace(p.charAt(v))) {
                v++;
            }
            String value = p.substring(v);
            if (value.isEmpty() || end == 0) {
                String problem = "expected format: key whitespace value";
                problems.skip(line, problem, file + ", line " + line + ": " + problem
                        + (texthash ? " -- ignoring this line" : ""));
                continue;
            }
            if (key.endsWith(":")) {
                String problem = "record is in \"key: value\" format; is this an alias file?";
                warnings.add(new TableWarning(Origin.at(file, line), problem, file + ", line " + line + ": " + problem));
            }
            String folded = fold(key);
            if (entries.containsKey(folded)) {
                String problem = "duplicate entry: \"" + folded + "\"";
                warnings.add(new TableWarning(Origin.at(file, line), problem,
                        (texthash ? file + ", line " + line : file + ".db") + ": " + problem));
                continue;
            }
            entries.put(folded, new Entry(value, Origin.at(file, line)));
        }
        return new HashTable(type + ":" + file, Map.copyOf(entries), warnings);
    }

    /** End of the key: the first whitespace outside double quotes (backslash escapes inside). */
    private static int keyEnd(String p) {
        boolean quoted = false;
        int k = 0;
        while (k < p.length()) {
            char c = p.charAt(k);
            if (quoted && c == '\\' && k + 1 < p.length()) {
                k += 2;
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && LogicalLines.isSpace(c)) {
                return k;
            }
            k++;
        }
        return k;
    }
}
