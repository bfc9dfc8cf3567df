package dev.portcullis.postfix.table;

import dev.portcullis.postfix.Origin;
import java.util.Objects;

/**
 * A table line that Postfix would skip with a warning (or refuse), reported at load time as
 * {@code file:line: problem}, with Postfix's words for the problem where it has them.
 */
public class TableSyntaxException extends TableException {

    private static final long serialVersionUID = 1L;

    private final transient Origin origin;
    private final String problem;

    public TableSyntaxException(Origin origin, String problem) {
        super(origin + ": " + problem);
        this.origin = Objects.requireNonNull(origin, "origin");
        this.problem = problem;
    }

    /** File and line of the offending rule. */
    public Origin origin() {
        return origin;
    }

    /** What is wrong, without the origin. */
    public String problem() {
        return problem;
    }
}
