package dev.portcullis.postfix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Postfix's list syntax: how a parameter value is split into items (mystrtokq_cw(3)), and
 * how a pattern list expands {@code !} negation and {@code /file/name} (match_list(3)).
 */
final class PostfixLists {

    /** CHARS_COMMA_SP: items are separated by commas and/or whitespace. */
    static final String SEPARATORS = ", \t\r\n";
    /** /file/name patterns may name further files, this deep. Postfix has no limit. */
    static final int MAX_FILE_DEPTH = 8;

    /** One pattern of a pattern list, with its negation and where it was written. */
    record Item(String pattern, boolean negated, Origin origin) {
    }

    private PostfixLists() {
    }

    /**
     * Splits a value into items at commas and whitespace, keeping text in {...} (which may
     * nest) together; the braces stay in the item. An item that starts with '#' ends the
     * list: Postfix ignores the rest of the line with the warning "comment at end of line is
     * not supported", which goes to {@code warning}.
     */
    static List<String> split(String value, Consumer<String> warning) {
        List<String> items = new ArrayList<>();
        int n = value.length();
        int i = 0;
        while (true) {
            while (i < n && SEPARATORS.indexOf(value.charAt(i)) >= 0) {
                i++;
            }
            if (i == n) {
                return items;
            }
            int start = i;
            int level = 0;
            for (; i < n; i++) {
                char c = value.charAt(i);
                if (c == '{') {
                    level++;
                } else if (level > 0 && c == '}') {
                    level--;
                } else if (level == 0 && SEPARATORS.indexOf(c) >= 0) {
                    break;
                }
            }
            String item = value.substring(start, i);
            if (item.charAt(0) == '#') {
                warning.accept("comment at end of line is not supported: " + Printable.prefix(value.substring(start)));
                return items;
            }
            items.add(item);
        }
    }

    /**
     * The patterns of a pattern list, in order: leading '!'s toggle negation, and a
     * /file/name is replaced by the patterns in the file (one or more per line; lines that
     * start with '#' are comments), each negated once more when the file name was.
     *
     * @param warnings receives "origin: parameter: ..." warnings Postfix would log
     */
    static List<Item> patterns(String parameter, String value, Origin origin, List<String> warnings) {
        List<Item> items = new ArrayList<>();
        add(parameter, value, false, origin, 0, items, warnings);
        return items;
    }

    private static void add(String parameter, String text, boolean negated, Origin origin, int depth,
            List<Item> items, List<String> warnings) {
        for (String token : split(text, w -> warnings.add(origin + ": " + parameter + ": " + w))) {
            boolean neg = negated;
            int k = 0;
            while (k < token.length() && token.charAt(k) == '!') {
                neg = !neg;
                k++;
            }
            String item = token.substring(k);
            if (item.isEmpty()) {
                throw PostfixConfigException.at(origin, parameter, parameter + ": no pattern after '!'");
            }
            if (item.charAt(0) == '/') {
                file(parameter, item, neg, origin, depth, items, warnings);
            } else {
                items.add(new Item(item, neg, origin));
            }
        }
    }

    private static void file(String parameter, String path, boolean negated, Origin origin, int depth,
            List<Item> items, List<String> warnings) {
        if (depth >= MAX_FILE_DEPTH) {
            throw PostfixConfigException.at(origin, parameter, parameter + ": /file/name patterns nested more than "
                    + MAX_FILE_DEPTH + " deep at " + Printable.quote(path));
        }
        String text;
        try {
            text = TextFiles.read(Path.of(path));
        } catch (IOException e) {
            // Postfix: "open file /etc/postfix/networks: No such file or directory"
            throw PostfixConfigException.at(origin, parameter,
                    parameter + ": open file " + Printable.prefix(path) + ": " + TextFiles.reason(e), e);
        } catch (TextFiles.BadText e) {
            throw PostfixConfigException.at(e.line > 0 ? Origin.at(path, e.line) : Origin.of(path), parameter,
                    parameter + ": " + e.getMessage());
        } catch (RuntimeException e) { // InvalidPathException
            throw PostfixConfigException.at(origin, parameter,
                    parameter + ": open file " + Printable.quote(path) + ": " + e.getMessage(), e);
        }
        // Postfix 3.7 reads the file line by line and skips lines that start with '#'
        // (3.8 and later use readlline(3); the patterns found are the same).
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("#")) {
                add(parameter, lines[i], negated, Origin.at(path, i + 1), depth + 1, items, warnings);
            }
        }
    }
}
