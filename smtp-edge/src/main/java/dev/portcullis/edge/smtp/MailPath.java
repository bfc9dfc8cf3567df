package dev.portcullis.edge.smtp;

import dev.portcullis.edge.protocol.Paths;

import dev.portcullis.edge.protocol.SmtpReply;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The argument of MAIL FROM: / RCPT TO: - a path in angle brackets and ESMTP parameters -
 * parsed with Postfix's leniency ({@code strict_rfc821_envelopes = no}): spaces after the
 * colon and a bare address without brackets are accepted; what cannot be an address is not.
 *
 * @param address the address without brackets ("" for the null sender {@code <>})
 * @param params  ESMTP parameters, keys upper-cased, in order; a value-less key maps to ""
 * @param words   the same parameters as the client wrote them (for replies that quote them)
 */
public record MailPath(String address, Map<String, String> params, Map<String, String> words) {

    /** A parse failure carries the reply Postfix gives for it. */
    public static final class Invalid extends Exception {
        private final SmtpReply reply;

        Invalid(SmtpReply reply) {
            super(reply.toString(), null, false, false);
            this.reply = reply;
        }

        public SmtpReply reply() {
            return reply;
        }
    }

    /**
     * @param args    what followed the verb, e.g. "FROM:<a@b> SIZE=10"
     * @param keyword "FROM" or "TO"
     */
    public static MailPath parse(String args, String keyword, boolean sender) throws Invalid {
        String usage = sender ? "MAIL FROM:<address>" : "RCPT TO:<address>";
        SmtpReply badAddress = sender ? Replies.badSenderSyntax() : Replies.badRecipientSyntax();
        String prefix = keyword + ":";
        if (args.length() < prefix.length() || !args.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new Invalid(Replies.syntax(usage));
        }
        String rest = args.substring(prefix.length()).stripLeading();
        if (rest.isEmpty()) {
            throw new Invalid(Replies.syntax(usage));
        }
        String address;
        int end;
        if (rest.charAt(0) == '<') {
            end = Paths.closingBracket(rest, 0);
            if (end < 0) {
                throw new Invalid(badAddress);
            }
            address = rest.substring(1, end);
            end++;
        } else {
            end = rest.indexOf(' ');
            end = end < 0 ? rest.length() : end;
            address = rest.substring(0, end);
        }
        if (!plausible(address) || (!sender && address.isEmpty())) {
            throw new Invalid(badAddress);
        }
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, String> words = new LinkedHashMap<>();
        for (String word : rest.substring(end).trim().split(" +")) {
            if (word.isEmpty()) {
                continue;
            }
            int eq = word.indexOf('=');
            String key = (eq < 0 ? word : word.substring(0, eq)).toUpperCase(Locale.ROOT);
            if (key.isEmpty()) {
                throw new Invalid(Replies.syntax(usage));
            }
            params.put(key, eq < 0 ? "" : word.substring(eq + 1));
            words.put(key, word);
        }
        return new MailPath(address, params, words);
    }


    /** No control characters, no unquoted spaces or brackets, quotes balanced. */
    private static boolean plausible(String address) {
        boolean quoted = false;
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return false;
            }
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == ' ' || c == '<' || c == '>')) {
                return false;
            }
        }
        return !quoted;
    }

    /** The domain part (after the last unquoted '@'), lower case; "" when there is none. */
    public static String domainOf(String address) {
        int at = lastUnquotedAt(address);
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    /** The local part (before the last unquoted '@'), quotes kept. */
    public static String localPartOf(String address) {
        int at = lastUnquotedAt(address);
        return at < 0 ? address : address.substring(0, at);
    }

    private static int lastUnquotedAt(String address) {
        boolean quoted = false;
        int at = -1;
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '@' && !quoted) {
                at = i;
            }
        }
        return at;
    }
}
