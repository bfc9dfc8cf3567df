/**
 * NAME
 * <p>smtp-edge - the SMTP server of a Portcullis fleet
 * <p>SUMMARY
 * <p>Speaks SMTP to the world with Postfix's replies and Postfix's defences (error tarpit,
 * junk-command and error limits, anvil's per-client limits, relay control, size limits,
 * idle timeout), relays each accepted message to the next hop as a before-queue proxy, and
 * publishes every session to Kafka for the cluster-wide services.
 * <p>PROTOCOL
 * <p>In: RFC 5321 ESMTP with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, STARTTLS (when a
 * key pair is configured), VRFY. Out: SMTP to {@code PORTCULLIS_NEXT_HOPS}, one connection per
 * transaction, opened at the first accepted RCPT (as Postfix's smtpd_proxy_filter does); the
 * client's 250 for a message is the next hop's 250. Kafka topic {@code portcullis.events}.
 * <p>SECURITY
 * <p>Every byte from a client is hostile: lines are bounded by {@code line_length_limit} and
 * overlong ones discarded to the next LF; only CR LF . CR LF ends DATA (no SMTP smuggling);
 * input pipelined after STARTTLS is discarded; HTTP and header lines sent to the port end the
 * session; client text reaches logs and events only as a short printable prefix. The edge is
 * never an open relay: the destination is judged after resolving %-hacks, source routes,
 * bang paths and quoted local parts. Per-client state is bounded (see LocalAnvil).
 * <p>LIMITS
 * <p>The anvil counts here are this edge's own; cluster-wide counts come from the
 * reputation service (a later issue). Like anvil, it cannot tell NAT users apart. No AUTH,
 * no DSN, no SMTPUTF8, no CHUNKING yet. The edge keeps no queue: when every next hop is down
 * clients get 4xx and retry later.
 * <p>CONFIGURATION
 * <p>Postfix parameters from {@code PORTCULLIS_MAIN_CF}, overridable as {@code postfix.<name>}
 * or {@code POSTFIX_<NAME>}; see {@link dev.portcullis.edge.config.EdgeSettings} for the list
 * and the README for the rest.
 */
package dev.portcullis.edge;
