package dev.portcullis.postfix;

import java.util.Optional;

/**
 * A configuration that Postfix would refuse, or that Portcullis cannot interpret exactly as
 * Postfix does. The message names where (file:line, "default", or the override source), the
 * parameter, and a printable prefix of the offending text, in Postfix's own words where
 * Postfix has them, e.g. {@code main.cf:12: bad numerical configuration:
 * smtpd_soft_error_limit = ten}.
 */
public class PostfixConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Origin origin;
    private final String parameter;

    /** A problem that is not tied to one parameter definition. */
    public PostfixConfigException(String message) {
        this(message, null, null, null);
    }

    /** As {@link #PostfixConfigException(String)}, with the underlying failure. */
    public PostfixConfigException(String message, Throwable cause) {
        this(message, null, null, cause);
    }

    private PostfixConfigException(String message, Origin origin, String parameter, Throwable cause) {
        super(message, cause);
        this.origin = origin;
        this.parameter = parameter;
    }

    /** A problem with {@code parameter} as defined at {@code origin}: "origin: problem". */
    static PostfixConfigException at(Origin origin, String parameter, String problem) {
        return new PostfixConfigException(origin + ": " + problem, origin, parameter, null);
    }

    /** As {@link #at(Origin, String, String)}, with the underlying failure. */
    static PostfixConfigException at(Origin origin, String parameter, String problem, Throwable cause) {
        return new PostfixConfigException(origin + ": " + problem, origin, parameter, cause);
    }

    /** Where the offending definition is, when known. */
    public Optional<Origin> origin() {
        return Optional.ofNullable(origin);
    }

    /** The parameter concerned, when known. */
    public Optional<String> parameter() {
        return Optional.ofNullable(parameter);
    }
}
