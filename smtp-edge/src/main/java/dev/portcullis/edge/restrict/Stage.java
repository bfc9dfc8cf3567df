package dev.portcullis.edge.restrict;

/**
 * The restriction lists, each with the Postfix parameter that holds it and the name and
 * class its generic restrictions ({@code reject}, {@code defer}, ...) put in a reply:
 * "&lt;name&gt;: class rejected: text", as smtpd_check.c words it.
 */
public enum Stage {
    CLIENT("smtpd_client_restrictions", "Client host"),
    HELO("smtpd_helo_restrictions", "Helo command"),
    SENDER("smtpd_sender_restrictions", "Sender address"),
    RELAY("smtpd_relay_restrictions", "Recipient address"),
    RECIPIENT("smtpd_recipient_restrictions", "Recipient address"),
    DATA("smtpd_data_restrictions", "Data command"),
    END_OF_DATA("smtpd_end_of_data_restrictions", "End-of-data");

    private final String parameter;
    private final String replyClass;

    Stage(String parameter, String replyClass) {
        this.parameter = parameter;
        this.replyClass = replyClass;
    }

    /** The main.cf parameter holding this list. */
    public String parameter() {
        return parameter;
    }

    /** "Client host", "Sender address", ...: the class named in this list's replies. */
    public String replyClass() {
        return replyClass;
    }

    /** The name this list's replies put in angle brackets. */
    String replyName(Facts f) {
        return switch (this) {
            case CLIENT -> f.namaddr();
            case HELO -> f.helo();
            case SENDER -> f.sender();
            case RELAY, RECIPIENT -> f.recipient();
            case DATA -> "DATA";
            case END_OF_DATA -> "END-OF-MESSAGE";
        };
    }
}
