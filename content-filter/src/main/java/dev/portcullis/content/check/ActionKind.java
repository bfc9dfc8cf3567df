package dev.portcullis.content.check;

/**
 * The closed set of header_checks(5)/body_checks actions that Postfix 3.7's cleanup(8)
 * knows, plus {@link #UNKNOWN} for anything else (logged, and the message kept, as Postfix).
 * {@code DEFER} and numeric {@code 4NN}/{@code 5NN} replies are access(5) actions that
 * cleanup(8) does not know: Postfix logs "unknown command" and keeps the message, and so do
 * we. A temporary content reject is written {@code REJECT 4.7.1 text} (reply 451).
 */
public enum ActionKind {
    /** Reject the message (550, or 451 with a 4.X.Y status); no further inspection. */
    REJECT(true),
    /** Accept and drop the message; no further inspection. */
    DISCARD(true),
    /** Log and stop inspecting (Postfix 3.x {@code PASS}). */
    PASS(true),
    WARN(false),
    INFO(false),
    HOLD(false),
    IGNORE(false),
    STRIP(false),
    PREPEND(false),
    REPLACE(false),
    DUNNO(false),
    FILTER(false),
    REDIRECT(false),
    BCC(false),
    UNKNOWN(false);

    private final boolean final_;

    ActionKind(boolean isFinal) {
        this.final_ = isFinal;
    }

    /** True when the action ends the inspection of the message. */
    public boolean isFinal() {
        return final_;
    }
}
