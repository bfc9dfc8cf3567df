package dev.portcullis.reputation.counts;

/**
 * What is counted per client and per network, in every window. The JSON name is what the
 * REST API shows.
 */
public enum Counter {
    /** Connections made (every CONNECT event, refused ones included, as anvil counts them). */
    CONNECTIONS("connections"),
    /** MAIL commands, accepted or rejected: the basis of the message rate, as in anvil. */
    MESSAGES("messages"),
    /** RCPT commands, accepted or rejected: the basis of the recipient rate. */
    RECIPIENTS("recipients"),
    /** Messages the next hop accepted. */
    DELIVERED("delivered"),
    /** Errors in Postfix's sense: protocol errors and policy rejects (what smtpd's error count counts). */
    ERRORS("errors"),
    /** Policy rejects and deferrals (4xx and 5xx answers to a command or a message). */
    REJECTS("rejects"),
    /** RCPT rejected as an unknown user (enhanced status 5.1.1). */
    UNKNOWN_RECIPIENTS("unknownRecipients"),
    /** Messages rejected for their content, at the end of DATA. */
    CONTENT_REJECTS("contentRejects"),
    /** Milliseconds of tarpit delay the edges imposed. */
    TARPIT_MILLIS("tarpitMillis"),
    /** Limits hit (anvil, error, size and recipient limits). */
    LIMIT_HITS("limitHits");

    public static final int SIZE = values().length;
    private static final Counter[] ALL = values();

    private final String jsonName;

    Counter(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The counter named so in the REST API, or null. */
    public static Counter byJsonName(String name) {
        for (Counter c : ALL) {
            if (c.jsonName.equals(name)) {
                return c;
            }
        }
        return null;
    }

    static Counter of(int ordinal) {
        return ALL[ordinal];
    }
}
