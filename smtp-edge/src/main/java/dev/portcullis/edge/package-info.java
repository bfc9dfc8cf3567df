/**
 * NAME
 * <p>smtp-edge - the SMTP server of a Portcullis fleet
 * <p>SUMMARY
 * <p>Speaks SMTP to the world with Postfix's replies and Postfix's defences (error tarpit,
 * junk-command and error limits, anvil's per-client limits, relay control, size limits,
 * idle timeout), relays each accepted message to the next hop as a before-queue proxy,
 * publishes every session to Kafka for the cluster-wide services, and applies the cluster-wide
 * verdicts they send back (connection, message and recipient rates over every edge, errors
 * carried across reconnects) on top of its own limits.
 * <p>PROTOCOL
 * <p>In: RFC 5321 ESMTP with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS (per
 * {@code smtpd_tls_security_level}, see {@link dev.portcullis.edge.tls}), VRFY; optionally
 * behind the PROXY protocol from trusted load balancers (see {@link dev.portcullis.edge.proxy}). Out: SMTP to {@code PORTCULLIS_NEXT_HOPS}, one connection per
 * transaction, opened at the first accepted RCPT (as Postfix's smtpd_proxy_filter does); the
 * client's 250 for a message is the next hop's 250. Kafka: publishes {@code portcullis.events};
 * reads {@code portcullis.verdicts} (compacted, key = IP or CIDR, tombstone = lifted) and
 * {@code portcullis.decisions} in full from the beginning at every start, with a plain consumer
 * in no consumer group that commits nothing and keeps its positions across a broker restart.
 * The edge does not aggregate: it counts only its own sessions (the floor) and acts on the
 * reputation service's verdicts; adding up the fleet is that service's job.
 * <p>SECURITY
 * <p>Every byte from a client is hostile: lines are bounded by {@code line_length_limit} and
 * overlong ones discarded to the next LF; only CR LF . CR LF ends DATA (no SMTP smuggling);
 * input pipelined after STARTTLS is discarded; HTTP and header lines sent to the port end the
 * session; client text reaches logs and events only as a short printable prefix. The edge is
 * never an open relay: the destination is judged after resolving %-hacks, source routes,
 * bang paths and quoted local parts. Per-client state is bounded (see LocalAnvil), and so is
 * the verdict table ({@code portcullis.verdicts.max-subjects}). Verdicts are trusted as they
 * come from the bus: whoever can write to {@code portcullis.verdicts} can refuse or tarpit
 * any client, so the topic's write ACL belongs to the reputation service alone. A record the
 * edge cannot read is skipped and counted, never fatal.
 * <p>LIMITS
 * <p>The anvil counts here are this edge's own and are always enforced (the floor); a
 * cluster-wide verdict adds to them: for the client's IP or any network containing it, a
 * connection count or rate verdict refuses new sessions with the local anvil's {@code 421
 * 4.7.0 ... too many connections}, a message or recipient rate verdict defers MAIL or RCPT with
 * its {@code 450 4.7.1}, each logged as the local warning plus "(cluster-wide)"; clients in
 * {@code smtpd_client_event_limit_exceptions} are exempt from these four. A carried-errors
 * verdict ({@code smtpd_soft_error_limit}) makes a new session start with that many errors,
 * at most {@code smtpd_hard_error_limit - 1}, for every client. A verdict entry applies only
 * until its own expiry, tombstone or not, and only at the next connect, MAIL or RCPT check:
 * it never cuts a session in progress. Verdicts arrive as fast as the bus brings them; with
 * the bus away the edge keeps the verdicts it has (until they expire) and its local limits.
 * Like anvil, it cannot tell NAT users apart, and a network verdict hits every host in it. No AUTH,
 * no DSN, no SMTPUTF8, no CHUNKING yet. The edge keeps no queue: when every next hop is down
 * clients get 4xx and retry later.
 * <p>CONFIGURATION
 * <p>Postfix parameters from {@code PORTCULLIS_MAIN_CF}, overridable as {@code postfix.<name>}
 * or {@code POSTFIX_<NAME>}; see {@link dev.portcullis.edge.config.EdgeSettings} for the list
 * and the README for the rest. Beyond Postfix: {@code portcullis.verdicts.max-subjects}
 * (1000000) and {@code portcullis.verdicts.sweep-interval} (30s); the bus reader of the verdicts
 * and decisions takes Quarkus' {@code kafka.*} settings (no channel settings of its own).
 */
package dev.portcullis.edge;
