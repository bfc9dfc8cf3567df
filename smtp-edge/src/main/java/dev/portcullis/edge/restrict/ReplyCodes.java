package dev.portcullis.edge.restrict;

/**
 * Postfix's reply-code parameters for restrictions, with Postfix's defaults.
 *
 * @param accessMapReject {@code access_map_reject_code} (554): REJECT in an access table
 * @param accessMapDefer  {@code access_map_defer_code} (450): DEFER, DEFER_IF_REJECT, DEFER_IF_PERMIT
 * @param invalidHostname {@code invalid_hostname_reject_code} (501): reject_invalid_helo_hostname
 * @param nonFqdn         {@code non_fqdn_reject_code} (504): reject_non_fqdn_*
 * @param relayDomains    {@code relay_domains_reject_code} (554): reject_unauth_destination
 * @param defer           {@code defer_code} (450): the {@code defer} restriction
 * @param reject          {@code reject_code} (554): the {@code reject} restriction
 */
public record ReplyCodes(int accessMapReject, int accessMapDefer, int invalidHostname, int nonFqdn,
                         int relayDomains, int defer, int reject) {

    /** Postfix 3.7's defaults. */
    public static final ReplyCodes POSTFIX = new ReplyCodes(554, 450, 501, 504, 554, 450, 554);

    /** Each code with its parameter name, for validation. */
    public static final String[] PARAMETERS = {"access_map_reject_code", "access_map_defer_code",
            "invalid_hostname_reject_code", "non_fqdn_reject_code", "relay_domains_reject_code", "defer_code",
            "reject_code"};
}
