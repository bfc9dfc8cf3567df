package dev.portcullis.postfix;

import java.util.Objects;

/**
 * Where a parameter value, or a pattern in a list, came from: a file and line, or a named
 * source such as "default" or "environment variable POSTFIX_SMTPD_TIMEOUT".
 *
 * @param source a file path or the name of a source
 * @param line   the line in {@code source} where the definition starts, 1-based; 0 when the
 *               source has no lines
 */
public record Origin(String source, int line) {

    /** The built-in default (Postfix's {@code postconf -d}). */
    public static final Origin DEFAULT = new Origin("default", 0);

    public Origin {
        Objects.requireNonNull(source, "source");
        if (line < 0) {
            throw new IllegalArgumentException("line must not be negative: " + line);
        }
    }

    /** A line of a file. */
    public static Origin at(String file, int line) {
        if (line < 1) {
            throw new IllegalArgumentException("line must be at least 1: " + line);
        }
        return new Origin(file, line);
    }

    /** A source without lines, e.g. "Quarkus configuration". */
    public static Origin of(String source) {
        return new Origin(source, 0);
    }

    /** "file:line", or the source name alone. */
    @Override
    public String toString() {
        return line > 0 ? source + ":" + line : source;
    }
}
