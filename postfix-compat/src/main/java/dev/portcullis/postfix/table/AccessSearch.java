package dev.portcullis.postfix.table;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The partial-key searches of access(5) for {@code check_*_access} lookups, done the way
 * smtpd_check.c does them. Fixed-key tables ({@link LookupTable#fixedKeys()}: texthash, hash,
 * inline) are searched with the whole key and then its parts; regexp, pcre and cidr tables get
 * the whole key only (access(5) "REGULAR EXPRESSION TABLES", "TCP-BASED TABLES").
 * <ul>
 * <li>client address: {@code 1.2.3.4}, {@code 1.2.3}, {@code 1.2}, {@code 1}; IPv6 the same
 * at each ':' ({@code 2001:db8::1}, {@code 2001:db8:}, {@code 2001:db8}, {@code 2001}), the
 * address as Postfix prints it (lower case, compressed);</li>
 * <li>host or domain name {@code a.b.c}: {@code a.b.c}, then with
 * parent_domain_matches_subdomains listing smtpd_access_maps (the default) {@code b.c},
 * {@code c}, else {@code .b.c}, {@code .c};</li>
 * <li>address {@code user+ext@domain}: the address, {@code user@domain} (with
 * recipient_delimiter), the domain and its parents as above, {@code user+ext@},
 * {@code user@}.</li>
 * </ul>
 */
public final class AccessSearch {

    private final boolean parentMatchesSubdomains;
    private final String recipientDelimiter;

    /**
     * @param parentMatchesSubdomains whether parent_domain_matches_subdomains lists
     *                                smtpd_access_maps (Postfix's default: yes)
     * @param recipientDelimiter      recipient_delimiter (empty: none); each character is a
     *                                delimiter, as in Postfix 2.11 and later
     */
    public AccessSearch(boolean parentMatchesSubdomains, String recipientDelimiter) {
        this.parentMatchesSubdomains = parentMatchesSubdomains;
        this.recipientDelimiter = recipientDelimiter == null ? "" : recipientDelimiter;
    }

    /** Postfix's defaults: parent domains match subdomains, no recipient delimiter. */
    public static AccessSearch defaults() {
        return new AccessSearch(true, "");
    }

    /** check_client_access by address. */
    public Optional<TableMatch> client(LookupTable table, String address) {
        return first(table, clientKeys(address, table.fixedKeys()));
    }

    /** check_*_access by host or domain name (helo, client name, the domain of an address). */
    public Optional<TableMatch> domain(LookupTable table, String name) {
        return first(table, domainKeys(name, table.fixedKeys()));
    }

    /** check_sender_access / check_recipient_access by mail address. */
    public Optional<TableMatch> address(LookupTable table, String address) {
        return first(table, addressKeys(address, table.fixedKeys()));
    }

    private static Optional<TableMatch> first(LookupTable table, List<String> keys) {
        for (String key : keys) {
            Optional<TableMatch> m = table.find(key);
            if (m.isPresent()) {
                return m;
            }
        }
        return Optional.empty();
    }

    /** The keys tried for a client address, in order. */
    List<String> clientKeys(String address, boolean partial) {
        List<String> keys = new ArrayList<>();
        String a = address.toLowerCase(Locale.ROOT);
        char delim = a.indexOf(':') >= 0 ? ':' : '.';
        keys.add(a);
        if (partial) {
            for (int cut = a.lastIndexOf(delim); cut > 0; cut = a.lastIndexOf(delim)) {
                a = a.substring(0, cut);
                keys.add(a);
            }
        }
        return keys;
    }

    /** The keys tried for a host or domain name, in order. */
    List<String> domainKeys(String name, boolean partial) {
        List<String> keys = new ArrayList<>();
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        keys.add(n);
        if (partial) {
            for (int dot = n.indexOf('.', 1); dot >= 0; dot = n.indexOf('.', dot + 1)) {
                keys.add(parentMatchesSubdomains ? n.substring(dot + 1) : n.substring(dot));
            }
        }
        return keys;
    }

    /** The keys tried for a mail address, in order. */
    List<String> addressKeys(String address, boolean partial) {
        List<String> keys = new ArrayList<>();
        String a = address.toLowerCase(Locale.ROOT);
        keys.add(a);
        if (!partial) {
            return keys;
        }
        int at = a.lastIndexOf('@');
        String local = at < 0 ? a : a.substring(0, at);
        String domain = at < 0 ? "" : a.substring(at + 1);
        String bare = unextended(local);
        if (bare != null && at >= 0) {
            keys.add(bare + "@" + domain);
        }
        if (!domain.isEmpty()) {
            keys.addAll(domainKeys(domain, true));
        }
        if (at >= 0) {
            keys.add(local + "@");
            if (bare != null) {
                keys.add(bare + "@");
            }
        }
        return keys.stream().distinct().toList();
    }

    private String unextended(String local) {
        if (recipientDelimiter.isEmpty()) {
            return null;
        }
        for (int k = 0; k < local.length(); k++) {
            if (recipientDelimiter.indexOf(local.charAt(k)) >= 0) {
                return k == 0 ? null : local.substring(0, k);
            }
        }
        return null;
    }
}
