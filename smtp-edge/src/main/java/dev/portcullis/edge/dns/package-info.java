/**
 * NAME
 * <p>dns - the edge's asynchronous DNS resolver.
 *
 * <p>SUMMARY
 * <p>{@link dev.portcullis.edge.dns.Resolver} answers one (name, type) question with a
 * {@link dev.portcullis.edge.dns.DnsResult}: OK with the values, NXDOMAIN, NODATA or TEMPFAIL.
 * {@link dev.portcullis.edge.dns.NettyResolver} implements it over Netty's DNS client with a
 * bounded, TTL-respecting cache (positive and negative answers). The restriction engine uses
 * it for the client name, reject_unknown_*, DNSBL and RHSBL lookups.
 *
 * <p>PROTOCOL
 * <p>DNS over UDP (RFC 1035), recursion desired, to the configured recursive servers in turn.
 * Replies that are truncated are retried over TCP by Netty.
 *
 * <p>SECURITY
 * <p>Names come from clients (HELO, sender and recipient domains): callers ask only for valid
 * host names (Postfix's valid_hostname), and the cache is bounded by entry count. A spoofed
 * reply needs the random query id and source port (Netty's); no DNSSEC validation is done,
 * as in Postfix without a validating resolver.
 *
 * <p>LIMITS
 * <p>Never hangs: each query ends within portcullis_dns_attempts x portcullis_dns_timeout; a
 * timeout, SERVFAIL or REFUSED is TEMPFAIL and is not cached. Identical questions in flight
 * at once are not merged. One shared I/O thread for all resolvers of a JVM.
 *
 * <p>CONFIGURATION
 * <ul>
 * <li>{@code portcullis_dns_servers} (the nameservers of /etc/resolv.conf): ip[:port] list</li>
 * <li>{@code portcullis_dns_timeout} (5s), {@code portcullis_dns_attempts} (2)</li>
 * <li>{@code portcullis_dns_cache_size} (10000), {@code portcullis_dns_max_ttl} (1h),
 * {@code portcullis_dns_negative_ttl} (5m)</li>
 * </ul>
 */
package dev.portcullis.edge.dns;
