/**
 * <h2>NAME</h2>
 * ban-service - Portcullis's deciding half of banning: fail2ban-style jails, blocklists and
 * manual bans, published to every enforcement point at once.
 *
 * <h2>SUMMARY</h2>
 * Consumes {@code portcullis.events} (consumer group {@code portcullis-ban}) and runs jails with
 * fail2ban's semantics over them: an address that fails {@code maxretry} times within
 * {@code findtime} is banned for {@code bantime}, longer for repeat offenders
 * ({@code bantime.increment}), from every port if a {@code recidive} jail sees it banned again and
 * again. Bans networks once enough of their addresses are banned, loads blocklists (CIDR lists,
 * country blocks from a regional registry's delegated-stats file) and reloads them when their
 * file changes, and takes manual bans and allow exceptions over REST. Every decision goes to the
 * compacted topic {@code portcullis.decisions} (key = canonical CIDR, tombstone = lifted, also
 * when it expires) and to Infinispan. The ban-service decides; it enforces nothing and speaks no
 * SMTP: edges, the enforcement agent (nftables, Postfix policy server, cidr export) and anyone on
 * the decision stream do.
 *
 * <h2>PROTOCOL</h2>
 * <ul>
 *   <li>In: {@link dev.portcullis.events.SessionEvent}s (REJECT, ERROR, LIMIT count; others are
 *       read and ignored). Unreadable records are skipped and counted.</li>
 *   <li>Out: {@link dev.portcullis.events.Decision} records, one per network. A network may have
 *       several <em>claims</em> (a jail's ban, an operator's allow, a blocklist entry); the
 *       published decision is what they add up to: any ALLOW wins; otherwise a BAN until the
 *       latest expiry on the union of the ports they cover, every port beating "every port but"
 *       beating port lists ({@link dev.portcullis.ban.engine.DecisionBook}). A
 *       repeat offence moves the expiry of the one decision; nothing piles up.</li>
 *   <li>REST ({@code /q/openapi}): {@code GET/POST /api/v1/bans}, {@code DELETE /api/v1/bans/{cidr}}
 *       (or {@code ?cidr=}), {@code GET /api/v1/jails[/{name}]}, {@code GET /api/v1/decisions[?ip=&port=]},
 *       {@code GET /api/v1/decisions/stream} (server-sent events: every live decision, {@code synced},
 *       then each change as {@code decision} or {@code lifted}). Errors are
 *       {@code {"error": "..."}} with 400 (bad input), 401, 403, 404, 409 (only a blocklist lists
 *       it), 503 (still restoring).</li>
 *   <li>Start: the decisions are restored before any event is counted or any API call answered:
 *       the compacted topic is read to its end and the claims are read from Infinispan; per
 *       network the newer of the two wins (record timestamp against the grid entry's change
 *       time). Claims that expired while the service was down are dropped and tombstoned; what
 *       the topic lacks is republished. Either store alone is enough to come back.</li>
 * </ul>
 *
 * <h2>SECURITY</h2>
 * Two bearer tokens: read-only ({@code portcullis.ban.api.read-token}, GET only) and admin
 * ({@code portcullis.ban.api.admin-token}); an unset token matches nothing, so with none set the API
 * refuses everyone. They must differ. Health, metrics and the OpenAPI document are open. Client
 * text never reaches a decision: reasons are built from codes and check names, cut to a short
 * printable prefix. Failure counts are bounded per jail ({@code max-tracked}, least recent evicted
 * and counted), decisions by {@code max-decisions}, ban histories by a bounded cache and a
 * lifespan in the grid: no map keyed by an attacker-chosen address grows without bound.
 *
 * <h2>LIMITS</h2>
 * <ul>
 *   <li>One instance per cluster: the engine keeps the claims in memory and is their only
 *       writer. A second instance would split the event partitions and publish for its share
 *       without seeing the other's claims. Run one replica; a restart loses no ban.</li>
 *   <li>Failure counts (not bans, not ban histories) live in memory: a restart forgets failures
 *       in progress, as fail2ban does for the lines it no longer re-reads. The consumer group's
 *       first start begins at the end of the events topic; later ones resume where it stopped.</li>
 *   <li>{@code bantime.formula} accepts only the two formulas of fail2ban's jail.conf; other Python
 *       expressions are refused (use {@code bantime.multipliers}). Time values take fail2ban's
 *       units and sums, not its arbitrary arithmetic. {@code [INCLUDES]}, {@code failregex},
 *       {@code ignorecommand} and host names in {@code ignoreip} are refused; log and action keys
 *       are accepted and ignored.</li>
 *   <li>A blocklist's scope is every port, {@code port = smtp,submission} (these only) or
 *       {@code port = !http,https} (every port but these); jails take fail2ban's {@code port}
 *       list only (no {@code !}). Merged claims cover the union of their ports
 *       ({@link dev.portcullis.ban.engine.PortScope}).</li>
 *   <li>Network bans last as long as the longest ban of their addresses at the time; unbanning the
 *       addresses does not lift the network ban (unban the network itself).</li>
 * </ul>
 *
 * <h2>CONFIGURATION</h2>
 * Jails: {@code portcullis.ban.jails} (default {@code config/jails.conf}, see
 * {@link dev.portcullis.ban.config.JailsConfig}); blocklists: {@code portcullis.ban.blocklists}
 * ({@link dev.portcullis.ban.config.BlocklistsConfig}). A malformed file stops the start with
 * {@code file:line: problem}. Service settings ({@link dev.portcullis.ban.config.BanConfig}), with
 * defaults: {@code id} ($HOSTNAME), {@code cache} (portcullis-bans), {@code max-decisions}
 * (1000000), {@code max-tracked} (100000 per jail), {@code network.threshold} (5; 0 = off),
 * {@code network.prefix-v4} (24), {@code network.prefix-v6} (64), {@code history-max-age} (30d),
 * {@code manual-bantime} (1d), {@code sweep-interval} (1s), {@code blocklist-poll-interval} (5s),
 * {@code max-streams} (256), {@code api.read-token}, {@code api.admin-token}; Kafka
 * ({@code kafka.bootstrap.servers}) and Hot Rod ({@code quarkus.infinispan-client.*}) as the other
 * services.
 */
package dev.portcullis.ban;
