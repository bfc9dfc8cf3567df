package dev.portcullis.agent.policy;

import dev.portcullis.agent.LiveSet;
import dev.portcullis.agent.Untrusted;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.Verdict;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Answers one policy request from the live decisions and verdicts.
 *
 * <p>The mapping, in this order:
 * <ol>
 * <li>an allow decision covering {@code client_address} and {@code server_port}:
 *     {@code allow-action} ({@code DUNNO}: the rest of Postfix's restrictions decide);</li>
 * <li>a ban covering them: {@code ban-action} ({@code 554 5.7.1 Service unavailable; Client
 *     host [IP] blocked by Portcullis});</li>
 * <li>a verdict in force on the client or a network containing it:
 *     {@code smtpd_client_connection_count_limit} or {@code _rate_limit} at any stage:
 *     {@code connection-action} (450 4.7.1, Postfix anvil's words); {@code
 *     smtpd_client_recipient_rate_limit} at RCPT: {@code recipient-rate-action};
 *     {@code smtpd_client_message_rate_limit} at MAIL or RCPT (the policy service usually
 *     sits in {@code smtpd_recipient_restrictions}): {@code message-rate-action}.
 *     Carried errors are not mapped: Postfix keeps its own error count per session;</li>
 * <li>otherwise {@code default-action} ({@code DUNNO}).</li>
 * </ol>
 * A request whose {@code request} is not {@code smtpd_access_policy}, or whose
 * {@code client_address} is missing or not an IP address, gets {@code default-action} and is
 * counted. {@code $client_address} in an action is the address; {@code $reason} is the
 * decision's reason, printable ASCII only and at most 100 characters.
 */
public final class PolicyResponder {

    /** What decided a reply (a metric tag). */
    public enum Outcome { BAN, ALLOW, CONNECTION, MESSAGE_RATE, RECIPIENT_RATE, NONE, BAD_REQUEST }

    /** A reply and why. */
    public record Reply(String action, Outcome outcome) {
    }

    /** access(5) actions a policy reply may carry (first word, case-insensitive), besides NNN codes. */
    private static final Set<String> ACTIONS = Set.of("OK", "DUNNO", "REJECT", "DEFER", "DEFER_IF_REJECT",
            "DEFER_IF_PERMIT", "BCC", "DISCARD", "FILTER", "HOLD", "PREPEND", "REDIRECT", "INFO", "WARN");
    private static final Pattern CODE = Pattern.compile("[45][0-9][0-9]( .*)?");

    private final LiveSet live;
    private final int defaultPort;
    private final String ban;
    private final String allow;
    private final String none;
    private final String connection;
    private final String messageRate;
    private final String recipientRate;

    public PolicyResponder(LiveSet live, int defaultPort, String ban, String allow, String none, String connection,
                           String messageRate, String recipientRate) {
        this.live = live;
        this.defaultPort = defaultPort;
        this.ban = ban;
        this.allow = allow;
        this.none = none;
        this.connection = connection;
        this.messageRate = messageRate;
        this.recipientRate = recipientRate;
    }

    /**
     * Checks a configured action: one line of printable ASCII whose first word is an access(5)
     * action or a 4NN/5NN code.
     *
     * @return null when it is fine, else what is wrong
     */
    public static String checkAction(String action) {
        if (action == null || action.isBlank()) {
            return "empty action";
        }
        for (int i = 0; i < action.length(); i++) {
            char c = action.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return "action must be printable ASCII on one line";
            }
        }
        String first = action.strip().split(" ", 2)[0].toUpperCase(Locale.ROOT);
        if (ACTIONS.contains(first) || CODE.matcher(action.strip()).matches()) {
            return null;
        }
        return "not an access(5) action: " + Untrusted.printable(first, 30)
                + " (expected OK, DUNNO, REJECT, DEFER, DEFER_IF_PERMIT, ..., or a 4NN/5NN code with text)";
    }

    public Reply respond(PolicyRequest r) {
        if (!"smtpd_access_policy".equals(r.request())) {
            return new Reply(none, Outcome.BAD_REQUEST);
        }
        InetAddress client = address(r.clientAddress());
        if (client == null) {
            return new Reply(none, Outcome.BAD_REQUEST);
        }
        String host = Cidr.host(client).toString();
        String ip = host.substring(0, host.indexOf('/'));
        Instant now = live.clock().instant();
        Optional<Decision> d = live.decisions().lookup(client, port(r.serverPort()), now);
        if (d.isPresent()) {
            if (d.get().action() == Decision.Action.ALLOW) {
                return new Reply(fill(allow, ip, d.get()), Outcome.ALLOW);
            }
            return new Reply(fill(ban, ip, d.get()), Outcome.BAN);
        }
        String state = r.protocolState() == null ? "" : r.protocolState().toUpperCase(Locale.ROOT);
        if (live.verdicts().find(client, Verdict.CONNECTION_COUNT, now) != null
                || live.verdicts().find(client, Verdict.CONNECTION_RATE, now) != null) {
            return new Reply(fill(connection, ip, null), Outcome.CONNECTION);
        }
        if (state.equals("RCPT") && live.verdicts().find(client, Verdict.RECIPIENT_RATE, now) != null) {
            return new Reply(fill(recipientRate, ip, null), Outcome.RECIPIENT_RATE);
        }
        if ((state.equals("MAIL") || state.equals("RCPT"))
                && live.verdicts().find(client, Verdict.MESSAGE_RATE, now) != null) {
            return new Reply(fill(messageRate, ip, null), Outcome.MESSAGE_RATE);
        }
        return new Reply(none, Outcome.NONE);
    }

    private int port(String text) {
        if (text != null && text.length() <= 5 && !text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        }
        return defaultPort;
    }

    /** The client's address, when the text is exactly one IPv4 or IPv6 address; else null. */
    static InetAddress address(String text) {
        if (text == null || text.isEmpty() || text.indexOf('/') >= 0) {
            return null;
        }
        try {
            return InetAddress.getByAddress(Cidr.parse(text).networkBytes());
        } catch (IllegalArgumentException | UnknownHostException e) {
            return null;
        }
    }

    private static String fill(String template, String ip, Decision d) {
        String s = template.replace("$client_address", ip);
        if (s.contains("$reason")) {
            s = s.replace("$reason", d == null || d.reason() == null ? "" : Untrusted.printable(d.reason(), 100));
        }
        return s;
    }
}
