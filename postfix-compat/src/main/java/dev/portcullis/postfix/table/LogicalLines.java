package dev.portcullis.postfix.table;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a table file into logical lines as Postfix's readllines(3) does for every table
 * format (postmap(1) INPUT FILE FORMAT, regexp_table(5), pcre_table(5), cidr_table(5)):
 * blank lines, whitespace-only lines and lines whose first non-whitespace character is '#'
 * are ignored and do not end a logical line; a line that starts with whitespace continues the
 * logical line before it and is appended verbatim, its leading whitespace included. A
 * continuation line with no logical line before it is reported and dropped.
 */
final class LogicalLines {

    /** One logical line: its text and the physical line it starts on (1-based). */
    record Line(String text, int number) {
    }

    /** Lines longer than this are refused: a table is configuration, not data. */
    static final int MAX_LINE = 1024 * 1024;

    private LogicalLines() {
    }

    /**
     * The logical lines of {@code text}; {@code strayContinuation} receives the (physical)
     * line number and text of each continuation line that has nothing to continue.
     */
    static List<Line> split(String text, StrayHandler strayContinuation) {
        List<Line> out = new ArrayList<>();
        StringBuilder logical = null;
        int start = 0;
        int number = 0;
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int eol = text.indexOf('\n', pos);
            int end = eol < 0 ? n : eol;
            String line = text.substring(pos, end > pos && text.charAt(end - 1) == '\r' ? end - 1 : end);
            pos = eol < 0 ? n : eol + 1;
            number++;
            int first = 0;
            while (first < line.length() && isSpace(line.charAt(first))) {
                first++;
            }
            if (first == line.length() || line.charAt(first) == '#') {
                continue;
            }
            if (first > 0) {
                if (logical == null) {
                    strayContinuation.stray(number, line);
                    continue;
                }
                logical.append(line);
                if (logical.length() > MAX_LINE) {
                    throw new TableException("line " + start + ": logical line longer than " + MAX_LINE + " characters");
                }
                continue;
            }
            if (logical != null) {
                out.add(new Line(logical.toString(), start));
            }
            logical = new StringBuilder(line);
            start = number;
        }
        if (logical != null) {
            out.add(new Line(logical.toString(), start));
        }
        return out;
    }

    /** Postfix's ISSPACE (the C locale's isspace). */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000b';
    }

    /** ISALNUM in the C locale. */
    static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** Postfix's trimblanks(): the text without trailing whitespace. */
    static String trimTrailing(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Receives a continuation line that has no logical line to continue. */
    @FunctionalInterface
    interface StrayHandler {
        void stray(int lineNumber, String line);
    }
}
