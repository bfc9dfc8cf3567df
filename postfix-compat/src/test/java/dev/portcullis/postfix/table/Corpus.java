package dev.portcullis.postfix.table;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The table corpus under src/test/resources/dev/portcullis/postfix/table/corpus: table files
 * NAME.TYPE, keys NAME.TYPE.keys, and what the real postmap answered (generate-goldens.sh).
 */
final class Corpus {

    /** What one `postmap -q - TYPE:NAME < keys` run gives: exit status, stdout, warnings. */
    record Answer(int exit, String out, List<String> warnings) {
    }

    private Corpus() {
    }

    static Path dir() {
        try {
            return Path.of(Objects.requireNonNull(Corpus.class.getResource("corpus/headers.regexp")).toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Table file names (NAME.TYPE), sorted. */
    static List<String> tables() {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".keys") && !n.endsWith(".golden") && !n.endsWith(".warnings")
                            && !n.endsWith(".deviations") && !n.endsWith(".sh"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(String file) {
        try {
            return Files.readString(dir().resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String type(String table) {
        return table.substring(table.lastIndexOf('.') + 1);
    }

    /** Our answer: the table parsed under its relative name, queried like postmap -q -. */
    static Answer ours(String table) {
        LookupTable t = Tables.parse(type(table) + ":" + table, read(table), Tables.Mode.POSTFIX);
        return ours(t, read(table + ".keys"));
    }

    static Answer ours(LookupTable t, String keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Postmap.query(t, "-", new ByteArrayInputStream(keys.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Answer(exit, out.toString(StandardCharsets.UTF_8), warnings(err.toString(StandardCharsets.UTF_8)));
    }

    /** The golden answer recorded from the real postmap. */
    static Answer golden(String table) {
        String g = read(table + ".golden");
        int nl = g.indexOf('\n');
        return new Answer(Integer.parseInt(g.substring("exit ".length(), nl)), g.substring(nl + 1),
                normalize(read(table + ".warnings").lines().toList()));
    }

    /**
     * Warnings we print and Postfix does not, on purpose (NAME.deviations, '#' lines are
     * comments): the rules the linear-time engine refuses.
     */
    static List<String> deviations(String table) {
        if (!Files.exists(dir().resolve(table + ".deviations"))) {
            return List.of();
        }
        return read(table + ".deviations").lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    }

    /** What we should print: Postfix's warnings plus our deliberate ones, each not already Postfix's. */
    static List<String> expectedWarnings(String table, List<String> postfix) {
        TreeSet<String> all = new TreeSet<>(postfix);
        for (String d : deviations(table)) {
            if (!all.add(d)) {
                throw new AssertionError(table + ": deviation " + d + " is what Postfix says too; drop it");
            }
        }
        return List.copyOf(all);
    }

    /** stderr lines to the sorted, unique warnings, "postmap: warning: " removed. */
    static List<String> warnings(String stderr) {
        return normalize(stderr.lines().map(l -> l.replaceFirst("^postmap: warning: ", "")).toList());
    }

    /**
     * Sorted and unique; a pcre compile error keeps its map and line only, because PCRE2's
     * message and offset are not RE2's.
     */
    static List<String> normalize(List<String> lines) {
        TreeSet<String> set = new TreeSet<>();
        for (String l : lines) {
            int e = l.indexOf(": error in regex");
            set.add(l.startsWith("pcre map ") && e > 0 ? l.substring(0, e) + ": error in regex" : l);
        }
        return List.copyOf(set);
    }
}
