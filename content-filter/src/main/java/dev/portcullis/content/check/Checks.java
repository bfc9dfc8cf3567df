package dev.portcullis.content.check;

/**
 * The four content inspection tables of cleanup(8), named by their main.cf parameter. Which
 * one a header goes to is Postfix's rule (observed with Postfix 3.7 as the oracle):
 * <ul>
 * <li>{@link #HEADER}: the primary message headers that are not MIME headers;</li>
 * <li>{@link #MIME}: MIME headers ({@code Content-Type}, {@code Content-Transfer-Encoding},
 * {@code Content-Disposition}, {@code Content-Description}, {@code Content-ID},
 * {@code MIME-Version}) anywhere, and every header of a multipart body part;</li>
 * <li>{@link #NESTED}: non-MIME headers of an attached {@code message/rfc822} message;</li>
 * <li>{@link #BODY}: body lines, boundary lines included.</li>
 * </ul>
 */
public enum Checks {
    HEADER("header_checks", "header"),
    MIME("mime_header_checks", "header"),
    NESTED("nested_header_checks", "header"),
    BODY("body_checks", "body");

    private final String parameter;
    private final String where;

    Checks(String parameter, String where) {
        this.parameter = parameter;
        this.where = where;
    }

    /** The main.cf parameter, e.g. {@code header_checks}; also the map name in Postfix's warnings. */
    public String parameter() {
        return parameter;
    }

    /** "header" or "body", as Postfix's log lines say ("reject: header Subject: ..."). */
    public String where() {
        return where;
    }

    public boolean isHeader() {
        return this != BODY;
    }

    /** The constant for a parameter name, or null. */
    public static Checks ofParameter(String name) {
        for (Checks c : values()) {
            if (c.parameter.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
