package dev.portcullis.postfix.table;

import dev.portcullis.postfix.Origin;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An {@code inline:{ key=value, { key = text with spaces }, ... }} table (Postfix 3.0 and
 * later): entries separated by commas and/or whitespace; an entry in braces may have
 * whitespace around '=' and in its value; keys are folded to lower case, and a later entry
 * for the same key wins. Errors are fatal, in postmap's words.
 */
final class InlineTable implements LookupTable {

    private final String name;
    private final Map<String, String> entries;
    private final Origin origin;

    private InlineTable(String name, Map<String, String> entries) {
        this.name = name;
        this.entries = entries;
        this.origin = Origin.of(name);
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
    public int size() {
        return entries.size();
    }

    @Override
    public Optional<TableMatch> find(String key) {
        String v = entries.get(HashTable.fold(key));
        return v == null ? Optional.empty() : Optional.of(new TableMatch(v, origin));
    }

    static InlineTable parse(String typeAndName, String body) {
        String need = "; need \"inline:{name=value...}\"";
        String quoted = "\"" + typeAndName + "\"";
        String b = body.strip();
        if (b.length() < 2 || b.charAt(0) != '{' || b.charAt(b.length() - 1) != '}') {
            throw new TableException("bad syntax: " + quoted + need);
        }
        String inner = b.substring(1, b.length() - 1);
        Map<String, String> entries = new HashMap<>();
        int k = 0;
        int n = inner.length();
        while (true) {
            while (k < n && (inner.charAt(k) == ',' || LogicalLines.isSpace(inner.charAt(k)))) {
                k++;
            }
            if (k >= n) {
                break;
            }
            String item;
            boolean braced = inner.charAt(k) == '{';
            if (braced) {
                int depth = 0;
                int j = k;
                for (; j < n; j++) {
                    char c = inner.charAt(j);
                    if (c == '{') {
                        depth++;
                    } else if (c == '}' && --depth == 0) {
                        break;
                    }
                }
                if (j >= n) {
                    throw new TableException("bad syntax: " + quoted + need);
                }
                item = inner.substring(k + 1, j).strip();
                k = j + 1;
            } else {
                int j = k;
                while (j < n && inner.charAt(j) != ',' && !LogicalLines.isSpace(inner.charAt(j))) {
                    j++;
                }
                item = inner.substring(k, j);
                k = j;
            }
            int eq = item.indexOf('=');
            String key = eq < 0 ? "" : item.substring(0, eq).strip();
            if (eq < 0 || key.isEmpty() || key.chars().anyMatch(c -> LogicalLines.isSpace((char) c))) {
                throw new TableException("missing '=' after attribute name: " + quoted + need);
            }
            entries.put(HashTable.fold(key), item.substring(eq + 1).strip());
        }
        if (entries.isEmpty()) {
            throw new TableException("bad syntax: " + quoted + need);
        }
        return new InlineTable(typeAndName, Map.copyOf(entries));
    }
}
