/**
 * NAME
 * <p>reputation-service - cluster-wide counts, scores and verdicts for SMTP clients
 *
 * <p>SUMMARY
 * <p>Consumes the session events every edge publishes, keeps sliding-window counts per
 * client IP and per network in a clustered Infinispan grid, publishes a verdict when a
 * client crosses one of anvil's limits summed over all edges (or carries enough errors
 * across reconnects), and answers queries over REST. What no single Postfix can do: a
 * client that reconnects, or whose connections a load balancer spreads over many edges,
 * is counted once. It does not ban (the ban-service does) and does not speak SMTP.
 *
 * <p>PROTOCOL
 * <p>In: {@code portcullis.events} as consumer group {@code portcullis-reputation}, in
 * batches; offsets are committed only after the batch's counts are in the grid. A batch
 * is decoded on one thread ({@code reputation-decoder}) while the one before is applied on
 * another ({@code reputation-aggregator}), and a batch's grid write overlaps applying the
 * next; writes stay in order and each batch is acknowledged after its own write, so at
 * most four batches are in the service at once. Out:
 * {@code portcullis.verdicts} (compacted; key = IP or CIDR; a tombstone when the subject
 * is back within every limit), see {@link dev.portcullis.events.Verdict}. REST:
 * {@code GET /api/v1/reputation/{ip}}, {@code GET /api/v1/reputation/network/{cidr}},
 * {@code GET /api/v1/reputation?top=N&by=errors|connections|rejects|score&window=W};
 * OpenAPI at {@code /q/openapi}. Grid keys: see {@link dev.portcullis.reputation.Subjects}.
 *
 * <p>What is counted per window ({@link dev.portcullis.reputation.counts.Counter}):
 * connections, MAIL and RCPT attempts, deliveries, errors (smtpd's sense), rejects by check
 * and by code, unknown-recipient rejects, content rejects, tarpit time, limits hit; plus the
 * sessions open right now over all edges and the errors carried since the last delivery.
 * The score is documented in {@link dev.portcullis.reputation.counts.Score}.
 *
 * <p>SECURITY
 * <p>The REST API needs a bearer token ({@code PORTCULLIS_API_TOKEN}); without one
 * configured it refuses everyone. Event fields are untrusted: only address literals are
 * accepted as subjects (nothing is resolved), reject breakdowns are capped per bucket, and
 * the in-memory state is bounded ({@code max-tracked}); the grid forgets a quiet client
 * after its longest window.
 *
 * <p>LIMITS
 * <p>Windows slide in steps of their granularity, where anvil restarts a fixed window: a
 * client can be refused for up to one bucket longer than Postfix would. Open-session counts
 * trust DISCONNECT events; sessions of an edge that died are forgotten after
 * {@code session-max-age}. Like anvil, NAT users share one address. Network limits are
 * decided per partition owner from the sum of every shard; two owners may publish the same
 * network's verdict a moment apart (the later one wins, both from the same sums). While the
 * grid is unreachable ingest waits (events stay in Kafka) and no new verdicts are issued;
 * edges keep their local limits. REST answers come from the grid, so they may lag ingest by
 * the one write in flight. An event whose time is earlier than a {@code long} of
 * milliseconds holds is unreadable (skipped and counted); one beyond it in the future counts
 * at the present, like any event stamped ahead of the clock.
 *
 * <p>CONFIGURATION
 * <p>From {@code main.cf} (the edges' file, {@code PORTCULLIS_MAIN_CF}, overridable as
 * {@code POSTFIX_<NAME>}): {@code anvil_rate_time_unit}, {@code
 * smtpd_client_connection_count_limit}, {@code smtpd_client_connection_rate_limit},
 * {@code smtpd_client_message_rate_limit}, {@code smtpd_client_recipient_rate_limit},
 * {@code smtpd_client_event_limit_exceptions}, {@code smtpd_soft_error_limit}. Own settings
 * ({@code portcullis.reputation.*}, see application.properties): {@code windows}
 * (default {@code <anvil_rate_time_unit>/<a twelfth>,600s/60s}), {@code network-prefix-v4}
 * (24), {@code network-prefix-v6} (64), {@code network-*-rate-limit} (0 = off),
 * {@code error-memory} (10m), {@code session-max-age} (1h),
 * {@code connection-count-verdict-ttl} (30s), {@code max-tracked} (1,000,000), {@code cache}
 * ({@code portcullis-reputation}), {@code id} ($HOSTNAME).
 */
package dev.portcullis.reputation;
