/**
 * NAME
 * <p>tls - the edge's STARTTLS settings and the encrypt-level gate
 * <p>SUMMARY
 * <p>Maps Postfix's smtpd TLS parameters onto the JVM's TLS (JSSE through Vert.x):
 * {@code smtpd_tls_security_level} (none, may, encrypt; empty follows smtpd_enforce_tls and
 * smtpd_use_tls), the key pair, the protocol lists and the cipher grades and exclusions; and
 * says which commands {@code encrypt} refuses before STARTTLS.
 * <p>PROTOCOL
 * <p>RFC 3207 STARTTLS on the cleartext listener; no SMTPS (wrapper mode) listener.
 * <p>SECURITY
 * <p>Input pipelined after STARTTLS is discarded (in SmtpSession). NULL ciphers are refused at
 * start-up. The level is the server's policy only: client certificates are not asked for.
 * <p>LIMITS
 * <p>The JVM decides what exists: TLSv1.2 and TLSv1.3 by default, TLSv1/TLSv1.1 only where
 * {@code jdk.tls.disabledAlgorithms} allows them, never SSLv2/SSLv3. The grades high and
 * medium give the same suites (see {@link dev.portcullis.edge.tls.TlsCiphers}). OpenSSL
 * cipher names such as ECDHE-RSA-AES128-SHA are not translated: exclude by category or by
 * IANA name. A resumed session counts as new for {@code
 * smtpd_client_new_tls_session_rate_limit}.
 * <p>CONFIGURATION
 * <p>{@code smtpd_tls_security_level} (empty), {@code smtpd_use_tls} (no), {@code
 * smtpd_enforce_tls} (no), {@code smtpd_tls_cert_file} (empty), {@code smtpd_tls_key_file}
 * ($smtpd_tls_cert_file), {@code smtpd_tls_protocols} and {@code
 * smtpd_tls_mandatory_protocols} (&gt;=TLSv1), {@code smtpd_tls_ciphers} and {@code
 * smtpd_tls_mandatory_ciphers} (medium), {@code smtpd_tls_exclude_ciphers} and {@code
 * smtpd_tls_mandatory_exclude_ciphers} (empty), all Postfix 3.7's defaults.
 */
package dev.portcullis.edge.tls;
