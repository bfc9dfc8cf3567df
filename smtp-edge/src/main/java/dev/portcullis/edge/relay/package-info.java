/**
 * NAME
 * <p>relay - the edge's SMTP client to the next-hop MTA (before-queue proxy)
 *
 * <p>SUMMARY
 * <p>{@link dev.portcullis.edge.relay.NextHopClient} opens a
 * {@link dev.portcullis.edge.relay.ProxySession} to one of the configured next hops; the edge
 * forwards its client's MAIL, RCPT, DATA and message content through it, one command at a
 * time, and answers its client 250 for a message only after the next hop's 250 to the final
 * dot. This is Postfix's smtpd_proxy_filter arrangement (smtpd_proxy(3)). The edge keeps no
 * queue: when the next hop cannot be reached or fails mid-way, the client gets a 4xx and
 * retries later.
 *
 * <p>PROTOCOL
 * <p>Out: banner wait, {@code EHLO <ehlo name>}, then per transaction {@code MAIL FROM:},
 * {@code RCPT TO:}..., {@code DATA}, content as received (already dot-stuffed, CRLF),
 * {@code .}; {@code RSET} on request; {@code QUIT} on close. Parameters of MAIL/RCPT whose
 * extension the next hop did not announce are dropped (see EsmtpParameters). No PIPELINING,
 * no XFORWARD/XCLIENT (yet), no STARTTLS to the next hop: the next hop is on a trusted network.
 * In: replies, parsed per RFC 5321 4.2 with bounded memory.
 *
 * <p>What the client is told ({@link dev.portcullis.edge.relay.ProxyReplies}): a 4xx/5xx from
 * the next hop passes through unchanged; a dead, slow or babbling next hop gives
 * {@code 451 4.3.0 Error: queue file write error}, exactly as Postfix (verified against
 * smtpd_proxy.c and cleanup_strerror.c; details in ProxyReplies).
 *
 * <p>SECURITY
 * <p>Replies from the next hop are untrusted: lines are cut at a length limit, the number of
 * lines kept is capped, unprintable bytes become '?', and anything that is not a reply closes
 * the session. Command arguments with CR, LF or NUL are refused, so the edge's client cannot
 * smuggle commands to the next hop. Nothing blocks: connect, reads, writes and timers all run
 * on the event loop of the client's connection.
 *
 * <p>LIMITS
 * <p>One session carries one command at a time. Failover happens only while opening a
 * session; a session that fails mid-transaction is not retried on another hop (the client
 * retries, as with Postfix). Hop health is not remembered between sessions.
 *
 * <p>CONFIGURATION (constructor arguments of NextHopClient; binding to main.cf names is the
 * edge's job)
 * <ul>
 * <li>next hops: {@code host:port[,host:port...]}, IPv6 as {@code [::1]:25}
 *   ({@link dev.portcullis.edge.relay.NextHop#parseList}); Postfix: smtpd_proxy_filter.</li>
 * <li>timeout: smtpd_proxy_timeout, default 100s.</li>
 * <li>EHLO name: smtpd_proxy_ehlo, default $myhostname.</li>
 * <li>maxReplyLineLength (at least 512; Postfix line_length_limit is 2048), maxReplyLines.</li>
 * </ul>
 */
package dev.portcullis.edge.relay;
