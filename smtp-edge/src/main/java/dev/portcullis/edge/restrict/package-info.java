/**
 * NAME
 * <p>restrict - Postfix's SMTP access restrictions on the Portcullis edge.
 *
 * <p>SUMMARY
 * <p>{@link dev.portcullis.edge.restrict.RestrictionEngine} holds the seven
 * {@code smtpd_*_restrictions} lists read from main.cf, with their tables opened, and is asked
 * by the SMTP session at connect, HELO/EHLO, MAIL, RCPT, DATA and the final dot. Each
 * restriction family is one class ({@code Generic}, {@code ClientNetworks},
 * {@code DestinationRestriction}, {@code AccessCheck}, {@code HostnameChecks},
 * {@code Pipelining}, {@code RecipientMaps}, {@code RestrictionClass}, and the DNS ones
 * {@code UnknownChecks} and {@code Dnsbl}); every check answers with the sealed
 * {@link dev.portcullis.edge.restrict.Outcome}: DUNNO, PERMIT, or a refusal - Defer (4xx),
 * Reject (5xx), Disconnect (421/521) - carrying the SMTP reply with its enhanced code and the
 * restriction (and table) that fired. That name goes into the REJECT event's {@code check}
 * and at the end of the mail-log line as {@code check=<...>}.
 *
 * <p>PROTOCOL
 * <p>As Postfix's smtpd_check.c: a list is walked in order and its first non-DUNNO answer
 * decides it; PERMIT ends that list only. {@code smtpd_delay_reject = yes} (default) runs the
 * client, helo (after a HELO) and sender lists at every RCPT, before relay then recipient;
 * {@code no} runs them at connect (a refusal replaces the greeting and every later command but
 * QUIT gets "503 5.7.0 Error: access denied for unknown[ip]"), at HELO (the name is then not
 * kept) and at MAIL. DEFER_IF_PERMIT, armed anywhere in a RCPT check (also in the delayed
 * client/helo/sender lists), turns a final accept into its 4xx; DEFER_IF_REJECT turns a
 * later 5xx of the same list group into its 4xx; {@code warn_if_reject} logs the next
 * restriction's refusal as "reject_warning" and goes on. Reply texts are Postfix 3.7's
 * ("&lt;name&gt;: Client host rejected: text", "Relay access denied", "need fully-qualified
 * hostname", ...), recorded from a real Postfix in docs/postfix-oracle.md and re-checked by
 * RestrictionsSideBySideTest.
 *
 * <p>DNS is "prefetch, then evaluate": the engine stays synchronous. Before a command's check
 * the session calls {@code RestrictionEngine.prepare}: the client's names are looked up once
 * per session (PTR, then forward confirmation, as smtpd_peer.c) when a list needs them, and
 * every {@code DnsRestriction} of the lists that will run says which questions it needs
 * (rounds: the A record of a DNSBL, then its TXT once listed); the answers come back in the
 * {@link dev.portcullis.edge.restrict.Facts}, and the check is evaluated over them. The
 * session is busy meanwhile (pipelined input waits) and the lookups are bounded by the
 * resolver's attempts x timeout, so nothing hangs and no event loop blocks. DNS replies follow
 * smtpd_check.c (docs/postfix-oracle.md section 2b): temporary failures are 450 or the
 * *_tempfail_action (defer_if_permit); a DNSBL that does not answer is DUNNO with a warning.
 *
 * <p>SECURITY
 * <p>Start-up refuses relay and recipient lists that hold none of reject_unauth_destination,
 * defer_unauth_destination, reject, defer (Postfix's own open-relay rule). Names and
 * addresses from the client reach replies and logs only through Untrusted.printable (printable
 * ASCII, bounded); a HELO name is neutered as Postfix does (" &lt;&gt;()\";@" become '?').
 * An access table's text is the admin's but still bounded. Tables ({@code TableRegistry}) are
 * re-read when their files change, off the event loop; a broken one keeps the last good one.
 *
 * <p>LIMITS
 * <p>check_*_{mx,ns,a}_access and reject_unverified_* are not supported (start-up names them).
 * The DNS restrictions (reject_unknown_*) are allowed in lists and restriction classes, not as
 * an access-table result (their answers are prefetched; a table result is known only while
 * evaluating). All DNS restrictions of the lists that will run are looked up at once, also
 * those after the one that decides (Postfix asks one at a time): more queries, one round trip;
 * when a list holds an access check, the DNS restrictions of every class are prefetched too (a
 * table may answer with a class name). The client name is looked up at the first check that
 * needs it, so log lines before that say "unknown[ip]". Not looked up: the DNS of destinations
 * in mydestination (Postfix resolves those locally). No SASL (permit_sasl_authenticated never
 * matches). DISCARD, PREPEND, REDIRECT and BCC are carried out by the session
 * ({@code EnvelopeAction}); HOLD and FILTER are logged and warned about but not honoured (no
 * queue, no transport): the search goes on as DUNNO. After an end-of-data refusal the edge
 * resets the transaction; Postfix 3.7 keeps it (a new MAIL then gets "nested MAIL command").
 * The recipient maps know mydestination and relay_domains only: no virtual_alias_domains /
 * virtual_mailbox_domains classes ("User unknown in virtual alias table"), no canonical maps,
 * and an address literal ({@code x@[ip]}) is never local (Postfix counts its own
 * inet_interfaces as local). The default local_recipient_maps is empty (the edge has no passwd
 * or aliases), not Postfix's proxy:unix:passwd.byname $alias_maps. VRFY does not consult the
 * recipient maps. main.cf itself is read at start only.
 *
 * <p>CONFIGURATION
 * <ul>
 * <li>{@code smtpd_client_restrictions}, {@code smtpd_helo_restrictions},
 * {@code smtpd_sender_restrictions}, {@code smtpd_recipient_restrictions},
 * {@code smtpd_data_restrictions}, {@code smtpd_end_of_data_restrictions} (default empty);
 * {@code smtpd_relay_restrictions} (default permit_mynetworks, permit_sasl_authenticated,
 * defer_unauth_destination)</li>
 * <li>restrictions: permit, reject, defer, warn_if_reject, permit_mynetworks,
 * permit_auth_destination, reject_unauth_destination, defer_unauth_destination,
 * check_client_access, check_helo_access, check_sender_access, check_recipient_access
 * (TYPE:TABLE - texthash, hash (source file), cidr, regexp, pcre, inline),
 * reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname (and their old names without
 * "helo_"), reject_non_fqdn_sender, reject_non_fqdn_recipient, reject_unauth_pipelining,
 * permit_sasl_authenticated; check_reverse_client_hostname_access (TYPE:TABLE),
 * reject_unknown_client_hostname (reject_unknown_client), reject_unknown_reverse_client_hostname,
 * reject_unknown_helo_hostname (reject_unknown_hostname), reject_unknown_sender_domain,
 * reject_unknown_recipient_domain, reject_rbl_client (reject_rbl), permit_dnswl_client,
 * reject_rhsbl_client, reject_rhsbl_reverse_client, reject_rhsbl_helo, reject_rhsbl_sender,
 * reject_rhsbl_recipient (each DOMAIN[=FILTER]),
 * reject_unlisted_recipient (check_recipient_maps),
 * reject_unlisted_sender, and the names in {@code smtpd_restriction_classes} (default empty;
 * each defined as a main.cf parameter holding a list)</li>
 * <li>{@code smtpd_reject_unlisted_recipient} (yes), {@code smtpd_reject_unlisted_sender} (no),
 * {@code local_recipient_maps} (EMPTY on the edge), {@code relay_recipient_maps} (empty),
 * {@code virtual_alias_maps} (empty), {@code unknown_local_recipient_reject_code} (550),
 * {@code unknown_relay_recipient_reject_code} (550), {@code show_user_unknown_table_name}
 * (yes), {@code double_bounce_sender} (double-bounce)</li>
 * <li>{@code portcullis_table_reload_interval} (not Postfix; 5s, 0 = never): how often table
 * files are checked for changes</li>
 * <li>{@code smtpd_peername_lookup} (yes); {@code unknown_client_reject_code} (450),
 * {@code unknown_hostname_reject_code} (450), {@code unknown_address_reject_code} (450),
 * {@code unknown_address_tempfail_action} and {@code unknown_helo_hostname_tempfail_action}
 * ($reject_tempfail_action = defer_if_permit), {@code maps_rbl_reject_code} (554),
 * {@code default_rbl_reply}, {@code rbl_reply_maps} (empty); the resolver's
 * {@code portcullis_dns_*} settings (see dev.portcullis.edge.dns)</li>
 * <li>{@code smtpd_delay_reject} (yes), {@code smtpd_helo_required} (no)</li>
 * <li>{@code access_map_reject_code} (554), {@code access_map_defer_code} (450),
 * {@code invalid_hostname_reject_code} (501), {@code non_fqdn_reject_code} (504),
 * {@code relay_domains_reject_code} (554), {@code defer_code} (450), {@code reject_code}
 * (554); reject_unauth_pipelining answers 503 5.5.0, defer_unauth_destination 454 4.7.1</li>
 * <li>{@code smtpd_null_access_lookup_key} (&lt;&gt;), {@code parent_domain_matches_subdomains}
 * (lists smtpd_access_maps), {@code recipient_delimiter} (none), {@code myorigin} (the domain
 * of a domain-less recipient, for relay decisions)</li>
 * </ul>
 */
package dev.portcullis.edge.restrict;
