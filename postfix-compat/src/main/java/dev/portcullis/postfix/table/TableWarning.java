package dev.portcullis.postfix.table;

import dev.portcullis.postfix.Origin;

/**
 * A problem Postfix reports while it opens a table, and then carries on.
 *
 * @param origin  file and line
 * @param problem what is wrong, in Postfix's words (without "regexp map X, line N: ")
 * @param postfix the whole warning as postmap(1) prints it after "postmap: warning: "
 */
public record TableWarning(Origin origin, String problem, String postfix) {

    /** "file:line: problem". */
    @Override
    public String toString() {
        return origin + ": " + problem;
    }
}
