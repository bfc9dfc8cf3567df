package dev.portcullis.edge.restrict;

import dev.portcullis.postfix.InetPton;

/**
 * The syntax restrictions: {@code reject_invalid_helo_hostname} (invalid_hostname_reject_code,
 * "Invalid name"), {@code reject_non_fqdn_helo_hostname} ("need fully-qualified hostname"),
 * {@code reject_non_fqdn_sender} and {@code reject_non_fqdn_recipient} (non_fqdn_reject_code,
 * "need fully-qualified address"), all with 5.5.2 as Postfix gives them. Names are judged by
 * Postfix's valid_hostname(): at most 255 characters, labels of 1..63 letters, digits, '-' or
 * '_' that neither start nor end with '-', not all-numeric; an address literal {@code [ip]} or
 * {@code [IPv6:ip]} is valid and fully qualified, as is a bare IPv4 address for
 * reject_invalid_helo_hostname (but not for the non-FQDN check).
 */
enum HostnameChecks implements Restriction {
    REJECT_INVALID_HELO_HOSTNAME,
    REJECT_NON_FQDN_HELO_HOSTNAME,
    REJECT_NON_FQDN_SENDER,
    REJECT_NON_FQDN_RECIPIENT;

    private static final int MAX_NAME = 255;
    private static final int MAX_LABEL = 63;



    @Override
    public String restriction() {
        return Restriction.nameOf(this);
    }

    @Override
    public Outcome apply(Evaluation ev) {
        Facts f = ev.facts;
        switch (this) {
            case REJECT_INVALID_HELO_HOSTNAME -> {
                if (f.helo() == null || validLiteral(f.helo()) || validHostname(f.helo()) || InetPton.v4(f.helo()) != null) {
                    return Outcome.DUNNO;
                }
                boolean literal = f.helo().startsWith("[") && f.helo().endsWith("]");
                return ev.refuse(ev.codes.invalidHostname(), "5.5.2", f.helo(), Stage.HELO.replyClass(),
                        literal ? "invalid ip address" : "Invalid name", restriction());
            }
            case REJECT_NON_FQDN_HELO_HOSTNAME -> {
                if (f.helo() == null || fqdn(f.helo())) {
                    return Outcome.DUNNO;
                }
                return ev.refuse(ev.codes.nonFqdn(), "5.5.2", f.helo(), Stage.HELO.replyClass(),
                        "need fully-qualified hostname", restriction());
            }
            case REJECT_NON_FQDN_SENDER -> {
                return address(ev, f.sender(), Stage.SENDER);
            }
            default -> {
                return address(ev, f.recipient(), Stage.RECIPIENT);
            }
        }
    }

    private Outcome address(Evaluation ev, String address, Stage stage) {
        if (address == null || address.isEmpty()) {
            return Outcome.DUNNO; // the null sender is fully qualified by definition
        }
        int at = address.lastIndexOf('@');
        if (at >= 0 && fqdn(address.substring(at + 1))) {
            return Outcome.DUNNO;
        }
        return ev.refuse(ev.codes.nonFqdn(), "5.5.2", address, stage.replyClass(), "need fully-qualified address",
                restriction());
    }

    /** A valid hostname with a dot in it, or an address literal. */
    static boolean fqdn(String name) {
        return validLiteral(name) || validHostname(name) && name.indexOf('.') > 0;
    }

    /** {@code [1.2.3.4]} or {@code [IPv6:...]}. */
    static boolean validLiteral(String name) {
        if (name.length() < 3 || name.charAt(0) != '[' || name.charAt(name.length() - 1) != ']') {
            return false;
        }
        String inner = name.substring(1, name.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            return InetPton.v6(inner.substring(5)) != null;
        }
        return InetPton.v4(inner) != null;
    }

    /** Postfix's valid_hostname(). */
    static boolean validHostname(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME) {
            return false;
        }
        int label = 0;
        boolean nonNumeric = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (label == 0 || name.charAt(i - 1) == '-') {
                    return false;
                }
                label = 0;
            } else if (isAsciiLetterOrDigit(c) || c == '_') {
                label++;
                nonNumeric |= !(c >= '0' && c <= '9');
            } else if (c == '-') {
                if (label == 0) {
                    return false;
                }
                label++;
                nonNumeric = true;
            } else {
                return false;
            }
            if (label > MAX_LABEL) {
                return false;
            }
        }
        return label > 0 && name.charAt(name.length() - 1) != '-' && nonNumeric;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }
}
