/**
 * NAME
 * <p>proxy - the PROXY protocol in front of the edge's SMTP sessions
 * <p>SUMMARY
 * <p>With {@code smtpd_upstream_proxy_protocol = haproxy}, every connection starts with one
 * PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text or v2 binary) from a load
 * balancer; the client address it carries becomes the session's client for the ban gate,
 * anvil, the cluster-wide verdicts, the restrictions, events and logs. Only then is the
 * greeting sent.
 * <p>PROTOCOL
 * <p>In: v1 {@code PROXY TCP4|TCP6 src dst sport dport CRLF} and {@code PROXY UNKNOWN ...};
 * v2 signature, version 2, commands LOCAL and PROXY, families AF_UNSPEC, AF_INET, AF_INET6
 * over STREAM, TLVs skipped. LOCAL, UNKNOWN and AF_UNSPEC leave the proxy itself as the
 * client (Postfix does the same). Bytes after the header are the client's first SMTP input.
 * Out: nothing - a refusal is a close, never a reply (the proxy would relay it to a client
 * that has not been identified).
 * <p>SECURITY
 * <p>The header is a claim that only a trusted proxy may make: a peer outside {@code
 * portcullis_upstream_proxy_networks} is refused before its first byte is read. The decoder
 * is strict (one space, CR LF, numeric addresses of the stated family, ports without leading
 * zeros: no DNS lookup is ever made for a header) and fails at the first wrong signature
 * byte. Logs carry the real peer's address and our own description of the problem, never the
 * peer's bytes.
 * <p>LIMITS
 * <p>v1 at most 107 bytes, v2 at most {@link dev.portcullis.edge.proxy.UpstreamProxy#MAX_V2_LENGTH}
 * bytes; the whole header within {@code smtpd_upstream_proxy_timeout}. While the protocol is
 * on, direct clients are refused: one listener serves proxies or clients, not both (as in
 * Postfix). TLV contents (e.g. the proxy's TLS details, AWS VPC endpoint ids) are not used.
 * Connections waiting for their header hold no session slot and no anvil count; the timeout
 * bounds them.
 * <p>CONFIGURATION
 * <p>{@code smtpd_upstream_proxy_protocol} (empty = off; {@code haproxy}),
 * {@code smtpd_upstream_proxy_timeout} (5s), {@code portcullis_upstream_proxy_networks}
 * (no default; required when the protocol is on). Metrics: {@code
 * portcullis.edge.proxy.refused{reason=untrusted|malformed|timeout|lost}}, {@code
 * portcullis.edge.proxy.accepted{command=proxy|local}}.
 */
package dev.portcullis.edge.proxy;
