package dev.portcullis.postfix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a main.cf file the way Postfix does (postconf(5) "SYNTAX"; the code is readlline(3)
 * and split_nameval(3)).
 *
 * <ul>
 * <li>{@code name = value}; whitespace around '=' is ignored, and so is whitespace at the
 * end of the value.</li>
 * <li>Blank lines, whitespace-only lines and lines whose first non-whitespace character is
 * '#' are ignored. '#' anywhere else is part of the value.</li>
 * <li>A line that starts with whitespace continues the previous logical line. Comment and
 * blank lines in between do not end it.</li>
 * <li>A later definition replaces an earlier one (a warning is recorded, as postconf
 * prints one).</li>
 * </ul>
 *
 * <p>Continuation lines are appended exactly as Postfix's daemons see them: the text of the
 * continuation line including its leading whitespace, right after the previous line
 * including that line's trailing whitespace. {@code postconf -h} prints such a value with
 * whitespace runs folded to one space, but smtpd's banner keeps the tabs (observed with
 * Postfix 3.7.11); we follow smtpd.
 *
 * <p>Stricter than Postfix: a continuation line before the first parameter is an error
 * (Postfix warns and drops it), so is a parameter name with characters other than letters,
 * digits, '_', '-' and '.' (Postfix accepts any name, but no such name can be referenced
 * as {@code $name}), and so is a NUL character.
 */
public final class MainCfParser {

    private MainCfParser() {
    }

    /** Reads {@code file} with the standard defaults ({@link PostfixDefaults#standard()}). */
    public static MainCf parse(Path file) {
        return parse(file, PostfixDefaults.standard());
    }

    /** Reads {@code file}; parameters it does not define fall back to {@code defaults}. */
    public static MainCf parse(Path file, PostfixDefaults defaults) {
        String text;
        try {
            text = TextFiles.read(file);
        } catch (IOException e) {
            // Postfix: "fatal: open /etc/postfix/main.cf: No such file or directory"
            throw new PostfixConfigException("open " + file + ": " + TextFiles.reason(e), e);
        } catch (TextFiles.BadText e) {
            throw new PostfixConfigException(
                    (e.line > 0 ? Origin.at(file.toString(), e.line) : Origin.of(file.toString()))
                            + ": " + e.getMessage());
        }
        return parse(text, file.toString(), defaults);
    }

    /** Parses main.cf text; {@code fileName} is used in error messages. */
    public static MainCf parse(String text, String fileName) {
        return parse(text, fileName, PostfixDefaults.standard());
    }

    /** Parses main.cf text with the given defaults. */
    public static MainCf parse(String text, String fileName, PostfixDefaults defaults) {
        List<String> warnings = new ArrayList<>();
        Map<String, Parameter> definitions = definitions(text, fileName, warnings);
        return new MainCf(definitions, defaults, warnings);
    }

    /** The definitions in {@code text}, in file order, later ones replacing earlier ones. */
    static Map<String, Parameter> definitions(String text, String fileName, List<String> warnings) {
        Map<String, Parameter> result = new LinkedHashMap<>();
        StringBuilder logical = null;
        int logicalStart = 0;
        int lineNumber = 0;
        int pos = 0;
        while (pos <= text.length()) {
            int newline = text.indexOf('\n', pos);
            String line = newline < 0 ? text.substring(pos) : text.substring(pos, newline);
            pos = newline < 0 ? text.length() + 1 : newline + 1;
            lineNumber++;
            if (line.indexOf('\0') >= 0) {
                throw PostfixConfigException.at(Origin.at(fileName, lineNumber), null,
                        "NUL character in line: " + Printable.quote(line));
            }
            int first = skipSpace(line, 0);
            if (first == line.length() || line.charAt(first) == '#') {
                continue; // blank or comment: ignored, and does not end a logical line
            }
            if (first > 0) {
                if (logical == null) {
                    throw PostfixConfigException.at(Origin.at(fileName, lineNumber), null,
                            "logical line must not start with whitespace: " + Printable.quote(line));
                }
                logical.append(line); // verbatim, leading whitespace included (see class doc)
            } else {
                if (logical != null) {
                    define(logical.toString(), Origin.at(fileName, logicalStart), result, warnings);
                }
                logical = new StringBuilder(line);
                logicalStart = lineNumber;
            }
        }
        if (logical != null) {
            define(logical.toString(), Origin.at(fileName, logicalStart), result, warnings);
        }
        return result;
    }

    /** split_nameval(3): "name = value". */
    private static void define(String line, Origin origin, Map<String, Parameter> result,
            List<String> warnings) {
        int n = line.length();
        int nameEnd = 0;
        while (nameEnd < n && !isSpace(line.charAt(nameEnd)) && line.charAt(nameEnd) != '=') {
            nameEnd++;
        }
        if (nameEnd == 0) {
            throw PostfixConfigException.at(origin, null, "missing attribute name: " + Printable.quote(line));
        }
        int equals = skipSpace(line, nameEnd);
        if (equals == n || line.charAt(equals) != '=') {
            throw PostfixConfigException.at(origin, null,
                    "missing '=' after attribute name: " + Printable.quote(line));
        }
        String name = line.substring(0, nameEnd);
        MainCf.checkName(name, origin);
        int valueStart = skipSpace(line, equals + 1);
        int valueEnd = n;
        while (valueEnd > valueStart && isSpace(line.charAt(valueEnd - 1))) {
            valueEnd--;
        }
        Parameter earlier = result.put(name, new Parameter(name, line.substring(valueStart, valueEnd), origin));
        if (earlier != null) {
            warnings.add(origin + ": overriding earlier entry: " + name + "=" + Printable.prefix(earlier.value()));
        }
    }

    /** C isspace() in the C locale, which is what Postfix's ISSPACE() tests. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000b';
    }

    private static int skipSpace(String s, int from) {
        int i = from;
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
