package dev.portcullis.postfix.table;

import dev.portcullis.postfix.TextFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens Postfix lookup tables by their Postfix name, {@code type:name}.
 *
 * <table>
 * <caption>Supported types</caption>
 * <tr><td>{@code regexp:/file}</td><td>regexp_table(5), POSIX regular expressions</td></tr>
 * <tr><td>{@code pcre:/file}</td><td>pcre_table(5), Perl-compatible regular expressions</td></tr>
 * <tr><td>{@code cidr:/file}</td><td>cidr_table(5), IPv4 and IPv6 networks</td></tr>
 * <tr><td>{@code texthash:/file}</td><td>key whitespace value, read as Postfix reads it</td></tr>
 * <tr><td>{@code hash:/file} (btree, lmdb, cdb, dbm)</td><td>the source file postmap(1) would
 * index, read directly: the same lookups as the indexed file</td></tr>
 * <tr><td>{@code inline:{k=v, {k = v w}}}</td><td>entries in the name itself</td></tr>
 * </table>
 *
 * <p>Two modes: {@link Mode#STRICT} (the default, for services) refuses a table with a line
 * Postfix would skip, naming file:line and the problem; {@link Mode#POSTFIX} (for the
 * postmap tool) skips such lines and reports them in {@link LookupTable#warnings()}, as
 * Postfix does.
 */
public final class Tables {

    /** What to do with a line Postfix would skip with a warning. */
    public enum Mode {
        /** Refuse the table: {@link TableSyntaxException} naming file:line. */
        STRICT,
        /** Skip the line and record a warning, as Postfix does. */
        POSTFIX
    }

    /** The types {@link #open} knows. */
    public static final java.util.Set<String> SUPPORTED = java.util.Set.of("regexp", "pcre", "cidr", "texthash", "hash",
            "btree", "lmdb", "cdb", "dbm", "inline");

    private Tables() {
    }

    /** Opens {@code typeAndName} in {@link Mode#STRICT} mode. */
    public static LookupTable open(String typeAndName) {
        return open(typeAndName, Mode.STRICT);
    }

    /**
     * Opens {@code typeAndName}, reading the file now.
     *
     * @throws TableSyntaxException a line Postfix would skip (STRICT mode)
     * @throws TableException       an unknown type, a file that cannot be read
     */
    public static LookupTable open(String typeAndName, Mode mode) {
        Spec spec = Spec.of(typeAndName);
        if (spec.type().equals("inline")) {
            return InlineTable.parse(typeAndName, spec.name());
        }
        if (!SUPPORTED.contains(spec.type())) {
            throw new TableException("unsupported dictionary type: " + spec.type());
        }
        return parse(typeAndName, read(spec), mode);
    }

    /**
     * Builds the table {@code typeAndName} from {@code text} instead of the file (a table
     * under test, an upload); {@code typeAndName}'s file name is used in messages only.
     */
    public static LookupTable parse(String typeAndName, String text, Mode mode) {
        Spec spec = Spec.of(typeAndName);
        return switch (spec.type()) {
            case "regexp" -> RegexTable.parse(RegexTable.Kind.REGEXP, spec.name(), text, mode);
            case "pcre" -> RegexTable.parse(RegexTable.Kind.PCRE, spec.name(), text, mode);
            case "cidr" -> CidrTable.parse(spec.name(), text, mode);
            case "texthash", "hash", "btree", "lmdb", "cdb", "dbm" -> HashTable.parse(spec.type(), spec.name(), text, mode);
            case "inline" -> throw new TableException("inline: tables have no file: use Tables.open(\"inline:{...}\")");
            default -> throw new TableException("unsupported dictionary type: " + spec.type());
        };
    }

    /** The type and name of a table. */
    record Spec(String type, String name) {
        static Spec of(String typeAndName) {
            int colon = typeAndName.indexOf(':');
            if (colon <= 0) {
                throw new TableException("need dictionary type:name, not " + quote(typeAndName));
            }
            return new Spec(typeAndName.substring(0, colon).toLowerCase(Locale.ROOT), typeAndName.substring(colon + 1));
        }
    }

    static String read(Spec spec) {
        try {
            return TextFiles.read(Path.of(spec.name()));
        } catch (IOException e) {
            throw new TableException("open " + spec.name() + ": " + TextFiles.reason(e), e);
        } catch (TextFiles.BadText e) {
            throw new TableException(e.line() > 0 ? spec.name() + ":" + e.line() + ": " + e.getMessage()
                    : spec.name() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            throw new TableException("open " + spec.name() + ": " + e.getMessage(), e);
        }
    }

    static String quote(String s) {
        return dev.portcullis.postfix.Printable.quote(s);
    }
}
