/**
 * NAME
 * <p>postfix-compat - Postfix's main.cf, read exactly as Postfix 3.7 reads it
 *
 * <p>SUMMARY
 * <p>{@link dev.portcullis.postfix.MainCfParser} reads a main.cf into a
 * {@link dev.portcullis.postfix.MainCf}: every explicit definition with the file and line it
 * came from. {@link dev.portcullis.postfix.MainCf#withOverrides} layers values from
 * elsewhere (Quarkus configuration, {@code POSTFIX_<NAME>} environment variables) on top,
 * each naming its source. Lookups expand {@code $name} lazily over Postfix's built-in
 * defaults ({@link dev.portcullis.postfix.PostfixDefaults}), so a later definition or an
 * override reaches every parameter that refers to it.
 * {@link dev.portcullis.postfix.PostfixParameters} gives typed values, validated as Postfix's
 * daemons validate them, and {@link dev.portcullis.postfix.NetworkList} and
 * {@link dev.portcullis.postfix.DomainList} match client addresses and domains as Postfix's
 * match lists do. A bad value stops start-up with a
 * {@link dev.portcullis.postfix.PostfixConfigException}:
 * <pre>
 * /etc/postfix/main.cf:12: bad numerical configuration: smtpd_soft_error_limit = ten
 * environment variable POSTFIX_SMTPD_TIMEOUT: parameter smtpd_timeout: bad time value or unit: 10x
 * /etc/postfix/main.cf:7: mynetworks: non-null host address bits in "10.1.0.0/8", perhaps you should use "10.0.0.0/8" instead
 * </pre>
 * Lookup tables (regexp, pcre, cidr, texthash/hash, inline) and the postmap -q tool are in
 * {@link dev.portcullis.postfix.table}; {@link dev.portcullis.postfix.CidrPattern} is the one
 * reader of address/network patterns for network lists and cidr tables alike.
 * This package reads configuration; it does not decide anything about mail. What a parameter
 * means to an SMTP session is the edge's business.
 *
 * <p>SYNTAX
 * <p>As postconf(5), checked against postconf(1) and smtpd(8) of Postfix 3.7.11 by the tests
 * (PostconfOracleTest runs the installed postconf when there is one).
 * <ul>
 * <li>{@code name = value}, whitespace around '=' and at the end ignored. A line whose first
 * non-whitespace character is '#' is a comment; '#' elsewhere is part of the value. Blank
 * lines are ignored. A line that starts with whitespace continues the logical line before
 * it, even across comment and blank lines, and is appended verbatim (its leading whitespace
 * included): smtpd sends such a banner with the tabs in it, although postconf -h shows the
 * whitespace folded. The last definition of a name wins.</li>
 * <li>{@code $name}, {@code ${name}}, {@code $(name)}; {@code $$} is a '$'. A name is letters,
 * digits and '_'. An undefined parameter with no default is empty.</li>
 * <li>{@code ${name?text}} is text when name's value is not empty, {@code ${name:text}} when it
 * is empty or undefined; the value is tested before expansion. {@code ${name?{text}}},
 * {@code ${name:{text}}} and {@code ${name?{text1}:{text2}}} take text in braces, with
 * whitespace around the braces ignored.</li>
 * <li>{@code ${{text1} op {text2} ? {text3} : {text4}}} with op ==, !=, &lt;, &lt;=, &gt;=, &gt;
 * (numbers when both sides are digits, else text), and {@code <level} etc. comparing
 * compatibility levels.</li>
 * <li>Lists: items separated by commas and/or whitespace, text in {...} kept together. In a
 * pattern list {@code !} negates and the first matching pattern decides; {@code /file/name}
 * stands for the patterns in the file ('#' lines are comments).</li>
 * <li>Times: a number and an optional unit s, m, h, d or w; without a unit, the unit of the
 * parameter's default. Numbers: decimal, within a C int (a C long for
 * message_size_limit). Booleans: yes or no, in any case.</li>
 * </ul>
 *
 * <p>SECURITY
 * <p>main.cf and overrides come from the operator and are trusted to say what the operator
 * wants, not to be well-formed. Error messages and warnings quote at most a 60-character
 * printable prefix of any value, name or line (other characters become '?'). Files are read
 * whole up to 16 MiB and must be UTF-8. Expansion refuses loops (naming the parameters), more
 * than 100 nested references (Postfix's limit), values over 1 MiB and more than 100,000
 * references in one lookup, so a hostile or careless main.cf cannot exhaust memory or time;
 * {@code /file/name} patterns nest at most 8 deep. An override value may not contain a line
 * break or NUL. Expanded values are cached per parameter name defined in the file or the
 * defaults table, so the cache is bounded by the configuration, not by lookups.
 *
 * <p>LIMITS
 * <p>Where Portcullis is stricter than Postfix, on purpose: a continuation line before the
 * first parameter, a parameter name with characters other than letters, digits, '_', '-' and
 * '.', a negative value where Postfix checks no minimum, and a time with text after its unit
 * ("10ms", which Postfix 3.7 reads as ten minutes, "1h30m" as one hour) are errors. Network
 * patterns Postfix would fail on only when a client reaches them (host bits set, bad masks:
 * smtpd then answers "451 4.3.0 Temporary lookup failure") fail at start-up instead.
 * <p>Not supported yet: {@code type:table} lookup tables in network and domain lists ("lookup
 * tables in mynetworks are not supported yet"); host name patterns in network lists (Postfix
 * matches them against the client's name); {@code mynetworks_style} subnet or class without
 * an explicit mynetworks (Postfix works it out from the host's interfaces). Address literals
 * in mydestination are the caller's to match against its own addresses.
 * <p>Postfix behaviour that surprises, reproduced: with parent_domain_matches_subdomains
 * (relay_domains by default), {@code .example.com} matches nothing, because
 * {@code example.com} already matches the subdomains; mydestination matches whole names only,
 * {@code .example.com} included; setting smtpd_client_connection_limit_exceptions empties
 * smtpd_client_event_limit_exceptions, whose default is
 * {@code ${smtpd_client_connection_limit_exceptions:$mynetworks}}; a bare IPv6 address in a
 * network list is read as a lookup table, so it must be written {@code [::1]/128}.
 *
 * <p>CONFIGURATION
 * <p>Built-in defaults, as {@code postconf -d} of Postfix 3.7 at compatibility_level 3.6 (see
 * {@link dev.portcullis.postfix.PostfixDefaults} for the deviations):
 * <pre>
 * myhostname = the host name; with ".$mydomain" or ".localdomain" appended if it has no dot
 * mydomain = $myhostname minus its first label, else localdomain
 * myorigin = $myhostname
 * mydestination = $myhostname, localhost.$mydomain, localhost
 * mynetworks = 127.0.0.0/8 [::1]/128           (Postfix: this host's own addresses)
 * mynetworks_style = host                      (below compatibility_level 2: subnet)
 * relay_domains =                              (below compatibility_level 2: $mydestination)
 * inet_interfaces = all
 * smtpd_banner = $myhostname ESMTP $mail_name
 * mail_name = Postfix
 * syslog_name = ${multi_instance_name?{$multi_instance_name}:{postfix}}
 * maillog_file =
 * smtpd_error_sleep_time = 1s
 * smtpd_soft_error_limit = 10                  (min 1)
 * smtpd_hard_error_limit = ${stress?{1}:{20}}  (min 1)
 * smtpd_junk_command_limit = ${stress?{1}:{100}} (min 1)
 * line_length_limit = 2048                     (min 512)
 * smtpd_timeout = ${stress?{10}:{300}}s        (min 1s)
 * header_size_limit = 102400                   (min 1)
 * message_size_limit = 10240000                (0 = no limit)
 * smtpd_recipient_limit = 1000                 (min 1)
 * default_process_limit = 100                  (min 1)
 * smtpd_client_connection_count_limit = 50     (0 = no limit)
 * smtpd_client_connection_rate_limit = 0       (0 = no limit)
 * smtpd_client_message_rate_limit = 0          (0 = no limit)
 * smtpd_client_recipient_rate_limit = 0        (0 = no limit)
 * smtpd_client_new_tls_session_rate_limit = 0  (0 = no limit)
 * anvil_rate_time_unit = 60s                   (min 1s)
 * smtpd_client_event_limit_exceptions = ${smtpd_client_connection_limit_exceptions:$mynetworks}
 * smtpd_helo_required = no
 * smtpd_delay_reject = yes
 * smtpd_forbid_bare_newline = normal           (Postfix 3.9; 3.7.11 says no)
 * smtpd_forbid_bare_newline_exclusions = $mynetworks
 * smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination
 *                                              (below compatibility_level 1: empty)
 * smtpd_proxy_timeout = 100s                   (min 1s)
 * smtpd_tls_security_level =
 * smtpd_tls_cert_file =
 * smtpd_tls_key_file = $smtpd_tls_cert_file
 * smtpd_tls_protocols = &gt;=TLSv1
 * smtpd_tls_mandatory_protocols = &gt;=TLSv1
 * smtpd_tls_ciphers = medium
 * smtpd_tls_mandatory_ciphers = medium
 * smtpd_tls_exclude_ciphers =
 * smtpd_tls_mandatory_exclude_ciphers =
 * smtpd_use_tls = no
 * smtpd_enforce_tls = no
 * smtpd_upstream_proxy_protocol =
 * smtpd_upstream_proxy_timeout = 5s            (min 1s)
 * parent_domain_matches_subdomains = debug_peer_list,fast_flush_domains,mynetworks,
 *     permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps
 * strict_rfc821_envelopes = no
 * smtpd_reject_unlisted_recipient = yes
 * allow_percent_hack = yes
 * swap_bangpath = yes
 * resolve_dequoted_address = yes
 * resolve_null_domain = no
 * disable_vrfy_command = no
 * compatibility_level = 3.6                    (Postfix: 0; its stock main.cf sets 3.6)
 * </pre>
 */
package dev.portcullis.postfix;
