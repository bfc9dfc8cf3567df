package dev.portcullis.postfix.table;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * {@code postmap -q key type:file} and {@code postmap -q - type:file}, answering as Postfix's
 * postmap(1) does: the value on standard output and exit 0 when found, nothing and exit 1 when
 * not; with {@code -q -}, "key TAB value" for each key on standard input that is found, exit 0
 * when any was. Warnings ("postmap: warning: ...") and fatal errors ("postmap: fatal: ...",
 * exit 1) go to standard error in postmap's words. {@code -c dir} is accepted and ignored.
 *
 * <p>Unlike postmap, {@code hash:file} is read from the source file, not from file.db: the
 * Portcullis way of using a hash table (no index to rebuild).
 */
public final class Postmap {

    static final String USAGE = "usage: postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...";

    private Postmap() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs the tool; returns the exit status. */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        String query = null;
        String table = null;
        for (int k = 0; k < args.length; k++) {
            String a = args[k];
            if (a.equals("-q") && k + 1 < args.length) {
                query = args[++k];
            } else if (a.equals("-c") && k + 1 < args.length) {
                k++;
            } else if (a.startsWith("-") && !a.equals("-")) {
                return fatal(err, USAGE);
            } else if (table == null) {
                table = a;
            } else {
                return fatal(err, "only one table is supported with -q by this postmap");
            }
        }
        if (query == null || table == null) {
            return fatal(err, USAGE);
        }
        if (table.indexOf(':') < 0) {
            table = "hash:" + table; // postmap's default_database_type
        }
        LookupTable t;
        try {
            t = Tables.open(table, Tables.Mode.POSTFIX);
        } catch (TableException e) {
            return fatal(err, e.getMessage());
        }
        return query(t, query, in, out, err);
    }

    /** The -q part for an opened table: warnings, then the lookup(s); returns the exit status. */
    static int query(LookupTable t, String query, InputStream in, PrintStream out, PrintStream err) {
        String table = t.name();
        Set<String> printed = new LinkedHashSet<>();
        for (TableWarning w : t.warnings()) {
            if (printed.add(w.postfix())) {
                err.println("postmap: warning: " + w.postfix());
            }
        }
        try {
            if (!query.equals("-")) {
                Optional<String> v = lookup(t, query, err);
                v.ifPresent(out::println);
                out.flush();
                return v.isPresent() ? 0 : 1;
            }
            boolean any = false;
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            // Each line, without its newline, is a key as is: postmap strips nothing, skips nothing.
            for (String key = nextLine(r); key != null; key = nextLine(r)) {
                Optional<String> v = lookup(t, key, err);
                if (v.isPresent()) {
                    out.println(key + "\t" + v.get());
                    any = true;
                }
            }
            out.flush();
            return any ? 0 : 1;
        } catch (TableException e) {
            return fatal(err, "table " + table + ": query error: " + e.getMessage());
        } catch (java.io.IOException e) {
            return fatal(err, "read standard input: " + e.getMessage());
        }
    }

    /** The next line without its '\n' (a '\r' stays part of the key), or null at the end. */
    private static String nextLine(BufferedReader r) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = r.read()) >= 0 && c != '\n') {
            b.append((char) c);
        }
        return c < 0 && b.isEmpty() ? null : b.toString();
    }

    private static Optional<String> lookup(LookupTable t, String key, PrintStream err) {
        Optional<String> v = t.find(key).map(TableMatch::value);
        if (v.isPresent() && v.get().isEmpty()) {
            err.println("postmap: warning: table " + t.name() + ": key " + key + ": empty string result is not allowed");
            err.println("postmap: warning: table " + t.name() + " should return NO RESULT in case of NOT FOUND");
        }
        return v;
    }

    private static int fatal(PrintStream err, String message) {
        err.println("postmap: fatal: " + message);
        err.flush();
        return 1;
    }
}
