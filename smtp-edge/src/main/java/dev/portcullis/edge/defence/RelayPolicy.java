package dev.portcullis.edge.defence;

import dev.portcullis.edge.protocol.SmtpReply;

import dev.portcullis.edge.smtp.MailPath;
import dev.portcullis.edge.smtp.Replies;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Postfix's {@code smtpd_relay_restrictions} for the restrictions an edge needs to never be
 * an open relay: {@code permit_mynetworks}, {@code permit_sasl_authenticated} (the edge offers
 * no AUTH, so it never permits), {@code permit_auth_destination},
 * {@code reject_unauth_destination}, {@code defer_unauth_destination}, {@code permit},
 * {@code reject}, {@code defer}. The full restriction language arrives with the edge policy
 * issue; until then any other name fails start-up.
 *
 * <p>The destination is judged after resolving the address the way Postfix's
 * trivial-rewrite would, so the classic relay tricks resolve to the foreign domain they aim
 * at: a source route ({@code @ours:user@theirs}), the percent hack
 * ({@code user%theirs@ours}, {@code allow_percent_hack}), bang paths
 * ({@code theirs!user@ours}, {@code swap_bangpath}), and a quoted local part holding an
 * address ({@code "user@theirs"@ours}, {@code resolve_dequoted_address}). An address that
 * still has any of {@code @ % !} in its local part after that is not trusted to be local.
 */
public final class RelayPolicy {

    public static final Set<String> SUPPORTED = Set.of("permit_mynetworks", "permit_sasl_authenticated",
            "permit_auth_destination", "reject_unauth_destination", "defer_unauth_destination",
            "permit", "reject", "defer");

    private final List<String> restrictions;
    private final Predicate<InetAddress> mynetworks;
    private final Predicate<String> localDomain;
    private final Predicate<String> relayDomain;

    public RelayPolicy(List<String> restrictions, Predicate<InetAddress> mynetworks,
                       Predicate<String> localDomain, Predicate<String> relayDomain) {
        for (String r : restrictions) {
            if (!SUPPORTED.contains(r)) {
                throw new IllegalArgumentException("unsupported restriction \"" + r + "\"");
            }
        }
        this.restrictions = List.copyOf(restrictions);
        this.mynetworks = mynetworks;
        this.localDomain = localDomain;
        this.relayDomain = relayDomain;
    }

    /** A refusal and the restriction that produced it. */
    public record Refusal(SmtpReply reply, String restriction) {
    }

    /** Null when the recipient may be accepted, else the reply to give. */
    public Refusal check(InetAddress client, String recipient) {
        for (String r : restrictions) {
            switch (r) {
                case "permit_mynetworks":
                    if (mynetworks.test(client)) {
                        return null;
                    }
                    break;
                case "permit_auth_destination":
                    if (authorizedDestination(recipient)) {
                        return null;
                    }
                    break;
                case "reject_unauth_destination":
                case "defer_unauth_destination":
                    if (!authorizedDestination(recipient)) {
                        return new Refusal(Replies.relayDenied(recipient, r.startsWith("defer")), r);
                    }
                    break;
                case "permit":
                    return null;
                case "reject":
                    return new Refusal(SmtpReply.of(554, "5.7.1", "<" + recipient + ">: Recipient address rejected: "
                            + "Access denied"), r);
                case "defer":
                    return new Refusal(SmtpReply.of(450, "4.7.1", "<" + recipient + ">: Recipient address rejected: "
                            + "Access denied"), r);
                default:
                    break; // permit_sasl_authenticated: no AUTH on the edge, never matches
            }
        }
        return null;
    }

    /** Whether mail for this address stays within mydestination or relay_domains. */
    public boolean authorizedDestination(String address) {
        String a = address;
        // A source route names hops; the mailbox is after the colon.
        if (a.startsWith("@")) {
            int colon = a.indexOf(':');
            if (colon < 0) {
                return false;
            }
            a = a.substring(colon + 1);
        }
        for (int depth = 0; depth < 8; depth++) {
            String domain = stripDot(MailPath.domainOf(a));
            if (domain.startsWith("[")) {
                return false; // an address literal is never one of our destinations here
            }
            boolean ours = domain.isEmpty() || localDomain.test(domain) || relayDomain.test(domain);
            if (!ours) {
                return false;
            }
            String local = unquote(MailPath.localPartOf(a));
            // What Postfix would rewrite the local part into, if anything.
            int at = local.lastIndexOf('@');
            int percent = local.lastIndexOf('%');
            int bang = local.indexOf('!');
            if (at >= 0) {
                a = local;
            } else if (percent >= 0) {
                a = local.substring(0, percent) + "@" + local.substring(percent + 1);
            } else if (bang >= 0) {
                a = local.substring(bang + 1) + "@" + local.substring(0, bang);
            } else {
                return true;
            }
        }
        return false;
    }

    private static String stripDot(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }

    private static String unquote(String local) {
        if (local.indexOf('"') < 0) {
            return local;
        }
        StringBuilder sb = new StringBuilder(local.length());
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (c == '\\' && i + 1 < local.length()) {
                sb.append(local.charAt(++i));
            } else if (c != '"') {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
