/**
 * NAME
 * <p>enforcement-agent - enforces the cluster's decisions on one node or Postfix host:
 * nftables sets, a Postfix policy-delegation server, a Postfix cidr access table
 *
 * <p>SUMMARY
 * <p>One small process per node (or a sidecar in a pod's own network namespace, with
 * NET_ADMIN) or per plain Postfix host. It reads {@code portcullis.decisions} and
 * {@code portcullis.verdicts} from the beginning, holds the live set
 * ({@link dev.portcullis.events.DecisionTable}, {@link dev.portcullis.agent.VerdictIndex})
 * and enforces it in up to three ways, each enabled on its own:
 * <ul>
 * <li>nftables ({@link dev.portcullis.agent.nft.NftSync}): the table {@code inet portcullis}
 * with one set per (action, port scope, family, prefix length) in use, element timeout =
 * decision expiry, allow sets before ban sets; changes applied in batches, one {@code nft -f}
 * transaction per batch; a full replacement of the table once the replay is complete and
 * after any failure;</li>
 * <li>a policy server for {@code check_policy_service inet:HOST:PORT}
 * ({@link dev.portcullis.agent.policy.PolicyServer}), answering from the decisions and the
 * verdicts ({@link dev.portcullis.agent.policy.PolicyResponder} has the mapping);</li>
 * <li>a {@code cidr:} table for {@code check_client_access}
 * ({@link dev.portcullis.agent.export.CidrExport}), replaced by rename when it changes.</li>
 * </ul>
 * It decides nothing: bans are the ban-service's, verdicts the reputation-service's. It
 * writes nothing to the bus.
 *
 * <p>PROTOCOL
 * <p>In: both topics, every partition, from the earliest offset, by a plain consumer that
 * assigns the partitions itself: no consumer group, nothing committed
 * (events' {@link dev.portcullis.events.BusReader}, which the edge uses too). A decision record's key must be its network
 * in canonical form; a tombstone lifts it; a record that cannot be read is skipped and
 * counted. The initial replay is complete when the consumer's position has reached, on
 * every decisions partition, the end offset that partition had when first assigned.
 * Policy: SMTPD_POLICY_README's protocol: {@code name=value} lines, an empty line ends a
 * request, the reply is {@code action=...} and an empty line; persistent connections, any
 * number of requests per connection (pipelined or not), unknown attributes ignored, a
 * carriage return before the newline tolerated. Attributes used: {@code request} (must be
 * {@code smtpd_access_policy}), {@code client_address}, {@code server_port} (to match a
 * decision's port scope; {@code default-port} when absent), {@code protocol_state}.
 * Table: cidr_table(5), allow lines first (first match wins), then bans most specific first.
 *
 * <p>HEALTH AND METRICS
 * <p>{@code /q/health/ready} is DOWN until the replay is complete and every enabled enforcer
 * has applied it (nft's first full sync succeeded, the table was written); it stays UP
 * through a broker outage (what is held keeps being enforced). Its data: bus state, replay
 * lag, decisions, verdicts, unreadable records, nft state and last error, table entries.
 * {@code /q/metrics}: {@code portcullis_agent_decisions_active}, {@code _decisions_read_total},
 * {@code _decisions_overflowed_total}, {@code _records_unreadable_total},
 * {@code _verdicts_active}, {@code _verdicts_read_total}, {@code _replay_lag},
 * {@code _replayed}, {@code _nft_elements}, {@code _nft_pending}, {@code _nft_batches_total},
 * {@code _nft_full_syncs_total}, {@code _nft_failures_total}, {@code _nft_changes_total},
 * {@code _nft_last_apply_seconds}, {@code _export_entries}, {@code _export_writes_total},
 * {@code _export_failures_total}, {@code _policy_connections_active},
 * {@code _policy_connections_total}, {@code _policy_lines_skipped_total},
 * {@code _policy_refused_total{reason}}, {@code _policy_replies_total{outcome}}.
 *
 * <p>SECURITY
 * <p>The policy server binds 127.0.0.1 by default and closes, at once, connections from
 * outside {@code policy.clients} (a Postfix network list). Request input is hostile: a line
 * over {@code max-line} is skipped to its newline without being buffered, a request over
 * {@code max-request} bytes or {@code max-attributes} lines closes the connection (Postfix
 * then applies its {@code smtpd_policy_service_default_action}, 451 4.3.5), idle connections
 * are closed, the number of connections is capped, and a client that does not read its
 * replies is paused, not buffered for. A decision's reason reaches a reply only as printable
 * ASCII of at most 100 characters, so it cannot inject protocol lines. The nft command runs
 * with the agent's privileges (root or CAP_NET_ADMIN); the agent owns its table and replaces
 * it whole, and touches no other table.
 *
 * <p>LIMITS
 * <p>Sets are hash sets of network addresses (host bits zero) matched with a mask, one per
 * prefix length, not {@code flags interval} sets: nftables refuses overlapping intervals and
 * nft 1.0.6 edits large interval sets slowly (see {@link dev.portcullis.agent.nft.NftScript}).
 * Port scopes are TCP destination ports: a decision on listed ports drops TCP to those ports
 * only; a decision on "every port but" ({@code exceptPorts}) drops TCP to every other port and
 * every protocol but TCP (UDP, ICMP: "drop everything but port 80" means it, including ICMP
 * errors and answers to this host's own UDP queries from that network). The policy server and
 * the cidr export check {@code Decision.coversPort} against the SMTP port
 * ({@code server_port}, else the configured port), so an excepted port 25 is not refused there.
 * Element timeouts are capped at 3650 days. While
 * the replay runs, the table of the previous run stays in force; a table changed by hand is
 * replaced at the next failure or restart. The table outlives the agent on purpose (its bans
 * expire on their own): {@code nft delete table inet portcullis} removes it. The cidr table has no expiry of its own: it is
 * rewritten when the next exported decision expires, and Postfix processes read it when they
 * start (set {@code export.reload-command} to {@code postfix reload} to make running ones
 * see it). Carried-error verdicts are not mapped by the policy server (Postfix keeps its own
 * error count). Past {@code max-decisions} new decisions are not enforced and are counted.
 *
 * <p>CONFIGURATION
 * <p>Quarkus configuration or environment ({@code portcullis.agent.nft.enabled} =
 * {@code PORTCULLIS_AGENT_NFT_ENABLED}); a bad value stops the start with the key, the value
 * and what is wrong. {@code kafka.bootstrap.servers} (127.0.0.1:9092; other
 * {@code kafka.*} consumer settings pass through), {@code portcullis.agent.}:
 * {@code id} ($HOSTNAME), {@code decisions-topic} (portcullis.decisions),
 * {@code verdicts-topic} (portcullis.verdicts), {@code read-verdicts} (true), {@code max-decisions}
 * (1000000), {@code max-verdicts} (1000000), {@code sweep-interval} (30s);
 * {@code nft.enabled} (false), {@code nft.command} (nft; a comma-separated list, e.g.
 * {@code ip,netns,exec,NS,nft}),
 * {@code nft.table} (portcullis), {@code nft.hook} (input; forward, prerouting),
 * {@code nft.priority} (-10), {@code nft.verdict} (drop; reject), {@code nft.batch-interval}
 * (200ms; also the table's), {@code nft.max-batch} (50000), {@code nft.command-timeout} (60s);
 * {@code policy.enabled} (false), {@code policy.host} (127.0.0.1), {@code policy.port}
 * (10040), {@code policy.clients} (127.0.0.0/8 [::1]/128), {@code policy.max-line} (4096),
 * {@code policy.max-request} (65536), {@code policy.max-attributes} (256),
 * {@code policy.idle-timeout} (330s, above Postfix's smtpd_policy_service_max_idle of 300s),
 * {@code policy.max-connections} (1000), {@code policy.default-port} (25),
 * {@code policy.ban-action} (554 5.7.1 Service unavailable; Client host [$client_address]
 * blocked by Portcullis), {@code policy.allow-action} (DUNNO), {@code policy.default-action}
 * (DUNNO), {@code policy.connection-action} (450 4.7.1 Error: too many connections from
 * $client_address), {@code policy.message-rate-action} (450 4.7.1 Error: too much mail from
 * $client_address), {@code policy.recipient-rate-action} (450 4.7.1 Error: too many
 * recipients from $client_address); {@code export.enabled} (false), {@code export.file}
 * (required when enabled), {@code export.ban-value} (REJECT), {@code export.allow-value}
 * (DUNNO), {@code export.port} (25), {@code export.reload-command} (none; comma-separated, e.g. {@code postfix,reload}). Actions and table
 * values are checked at start-up against access(5): OK, DUNNO, REJECT, DEFER,
 * DEFER_IF_REJECT, DEFER_IF_PERMIT, BCC, DISCARD, FILTER, HOLD, PREPEND, REDIRECT, INFO, WARN
 * or a 4NN/5NN code with text.
 */
package dev.portcullis.agent;
