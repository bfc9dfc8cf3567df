package dev.portcullis.postfix.table;

/**
 * A table that cannot be opened or a lookup that cannot be answered: Postfix's temporary
 * lookup failure ("451 4.3.0 Temporary lookup failure" in smtpd). The message names the table
 * and, where there is one, the file and line.
 */
public class TableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TableException(String message) {
        super(message);
    }

    public TableException(String message, Throwable cause) {
        super(message, cause);
    }
}
