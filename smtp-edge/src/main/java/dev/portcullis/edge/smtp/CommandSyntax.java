package dev.portcullis.edge.smtp;

/** How Postfix's smtpd reads a command line: which verbs end a pipelining group, which are junk, which are forbidden. */
final class CommandSyntax {

    private CommandSyntax() {
    }

    /** Postfix's NEUTER_CHARACTERS in a HELO name become '?'. */
    static String neuter(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(" <>()\\\";@".indexOf(c) >= 0 ? '?' : c);
        }
        return sb.toString();
    }

    /** Commands after which a pipelining client must wait for our reply (RFC 2920 3.1). */
    static boolean endsGroup(String verb) {
        return switch (verb) {
            case "HELO", "EHLO", "DATA", "NOOP", "VRFY" -> true;
            default -> false;
        };
    }

    static boolean isJunk(String verb) {
        return switch (verb) {
            case "HELO", "EHLO", "NOOP", "VRFY", "ETRN", "RSET" -> true;
            default -> false;
        };
    }

    static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Postfix's default {@code smtpd_forbidden_commands}: CONNECT, GET, POST, anything that
     * does not start with a letter, and lines that look like a message header.
     */
    static boolean forbidden(String line, String verb) {
        if (verb.equals("CONNECT") || verb.equals("GET") || verb.equals("POST")) {
            return true;
        }
        char first = line.charAt(0);
        if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z'))) {
            return true;
        }
        // A header: a name of printable non-space characters, then a colon.
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
