package dev.portcullis.edge.restrict;

/**
 * Where a check's side remarks go: the session turns them into mail-log lines in Postfix's
 * format ("NOQUEUE: warn: RCPT from unknown[192.0.2.1]: text; from=&lt;...&gt; ...").
 */
public interface Notes {

    /** Discards every note (tests, and checks whose remarks nobody reads). */
    Notes NONE = new Notes() {
        @Override
        public void action(String action, String text) {
        }

        @Override
        public void warning(String text) {
        }
    };

    /** A logged action that does not change the verdict: warn, info, reject_warning, hold, ... */
    void action(String action, String text);

    /** A "warning: ..." line (a configuration problem met while checking). */
    void warning(String text);

    /**
     * DISCARD, PREPEND, REDIRECT or BCC fired: the session applies it to the transaction
     * (logging is done through {@link #action}). Whoever cannot honour one ignores it.
     */
    default void honour(EnvelopeAction action) {
    }
}
