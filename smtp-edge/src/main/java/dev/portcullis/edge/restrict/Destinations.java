package dev.portcullis.edge.restrict;

import dev.portcullis.edge.smtp.MailPath;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * Whether a recipient is one of this edge's destinations ({@code mydestination} or
 * {@code relay_domains}): what {@code permit_auth_destination},
 * {@code reject_unauth_destination} and {@code defer_unauth_destination} ask.
 *
 * <p>The destination is judged after resolving the address the way Postfix's
 * trivial-rewrite would, so the classic relay tricks resolve to the foreign domain they aim
 * at: a source route ({@code @ours:user@theirs}), the percent hack
 * ({@code user%theirs@ours}, {@code allow_percent_hack}), bang paths
 * ({@code theirs!user@ours}, {@code swap_bangpath}), and a quoted local part holding an
 * address ({@code "user@theirs"@ours}, {@code resolve_dequoted_address}). An address that
 * still has any of {@code @ % !} in its local part after that is not trusted to be local.
 */
public final class Destinations {

    private final Predicate<String> localDomain;
    private final Predicate<String> relayDomain;
    private final String myorigin;

    /**
     * @param myorigin the domain a domain-less address gets ({@code append_at_myorigin}), so
     *                 {@code <postmaster>} is ours exactly when {@code myorigin} is
     */
    public Destinations(Predicate<String> localDomain, Predicate<String> relayDomain, String myorigin) {
        this.localDomain = localDomain;
        this.relayDomain = relayDomain;
        this.myorigin = stripDot(myorigin);
    }

    /** Whether mail for this address stays within mydestination or relay_domains. */
    public boolean authorizedDestination(String address) {
        return resolve(address).addressClass() != AddressClass.OTHER;
    }

    /** trivial-rewrite's address classes, as far as the edge knows them. */
    public enum AddressClass {
        /** The domain is in mydestination (local_recipient_maps applies). */
        LOCAL,
        /** The domain is in relay_domains (relay_recipient_maps applies). */
        RELAY,
        /** Anywhere else, or an address the edge does not trust to stay here. */
        OTHER
    }

    /**
     * An address after the rewriting above: its class and the address it resolved to (with
     * myorigin appended to a domain-less one), which is what recipient tables are asked about.
     */
    public record Resolved(AddressClass addressClass, String address) {
    }

    /** Resolves {@code address} as Postfix's trivial-rewrite would for the class and the final address. */
    public Resolved resolve(String address) {
        String a = address;
        // A source route names hops; the mailbox is after the colon.
        if (a.startsWith("@")) {
            int colon = a.indexOf(':');
            if (colon < 0) {
                return new Resolved(AddressClass.OTHER, address);
            }
            a = a.substring(colon + 1);
        }
        for (int depth = 0; depth < 8; depth++) {
            String domain = stripDot(MailPath.domainOf(a));
            if (domain.startsWith("[")) {
                return new Resolved(AddressClass.OTHER, a); // an address literal is never one of our destinations here
            }
            if (domain.isEmpty()) {
                domain = myorigin;
            }
            boolean isLocal = localDomain.test(domain);
            if (!isLocal && !relayDomain.test(domain)) {
                return new Resolved(AddressClass.OTHER, a);
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
                return new Resolved(isLocal ? AddressClass.LOCAL : AddressClass.RELAY, local + "@" + domain);
            }
        }
        return new Resolved(AddressClass.OTHER, a);
    }

    /** Whether the domain is in mydestination (Postfix resolves it locally, without DNS). */
    public boolean finalDomain(String domain) {
        return localDomain.test(stripDot(domain));
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
