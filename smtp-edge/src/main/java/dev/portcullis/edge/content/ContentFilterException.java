package dev.portcullis.edge.content;

/** The content filter could not give a verdict: unreachable, slow, refusing, or answering nonsense. */
public final class ContentFilterException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ContentFilterException(String message) {
        super(message, null, false, false);
    }

    public ContentFilterException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
