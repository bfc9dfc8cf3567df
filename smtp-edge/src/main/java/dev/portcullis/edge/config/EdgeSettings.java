package dev.portcullis.edge.config;

import dev.portcullis.edge.proxy.UpstreamProxy;
import dev.portcullis.edge.restrict.RestrictionEngine;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Everything the SMTP edge needs from {@code main.cf}, resolved and validated once at start.
 * Field names follow the Postfix parameters they come from; {@link EdgeSettingsLoader} maps
 * each one and says where it came from when a value is bad. Limits of 0 mean "no limit"
 * exactly where Postfix says so.
 *
 * @param myhostname             {@code myhostname}, used in replies and the Received header
 * @param inetInterfaces         {@code inet_interfaces}: the address to listen on (0.0.0.0 for all)
 * @param smtpdBanner            {@code smtpd_banner}, expanded; the text after "220 "
 * @param syslogName             {@code syslog_name}, the program name prefix of log lines
 * @param maillogFile            {@code maillog_file}; null = standard output
 * @param errorSleepTime         {@code smtpd_error_sleep_time}
 * @param softErrorLimit         {@code smtpd_soft_error_limit}
 * @param hardErrorLimit         {@code smtpd_hard_error_limit}
 * @param junkCommandLimit       {@code smtpd_junk_command_limit}
 * @param tarpitEscalation       {@code portcullis_tarpit_escalation} (not Postfix): one more
 *                               sleep time per error past the soft limit
 * @param tarpitMaxDelay         {@code portcullis_tarpit_max_delay} (not Postfix): the cap
 * @param lineLengthLimit        {@code line_length_limit}
 * @param smtpdTimeout           {@code smtpd_timeout}
 * @param headerSizeLimit        {@code header_size_limit}
 * @param messageSizeLimit       {@code message_size_limit} (0 = no limit)
 * @param recipientLimit         {@code smtpd_recipient_limit}
 * @param processLimit           {@code default_process_limit}: concurrent sessions per edge
 * @param heloRequired           {@code smtpd_helo_required}
 * @param disableVrfy            {@code disable_vrfy_command}
 * @param bareNewline            {@code smtpd_forbid_bare_newline}
 * @param bareNewlineExclusions  {@code smtpd_forbid_bare_newline_exclusions}
 * @param mynetworks             {@code mynetworks}
 * @param localDomain            {@code mydestination} (domains this edge's next hop is final for)
 * @param relayDomain            {@code relay_domains}
 * @param restrictions           the {@code smtpd_*_restrictions} lists, {@code smtpd_delay_reject}
 *                               and the reply-code parameters, with their tables opened
 * @param anvil                  the anvil limits
 * @param tls                    STARTTLS per {@code smtpd_tls_security_level} (null = not offered);
 *                               see {@link dev.portcullis.edge.tls.TlsConfig}
 * @param nextHops               {@code PORTCULLIS_NEXT_HOPS}, "host:port[,host:port…]"
 * @param proxyTimeout           {@code smtpd_proxy_timeout}
 * @param edgeId                 this edge's name in events and logs
 * @param upstreamProxy          {@code smtpd_upstream_proxy_protocol = haproxy} with
 *                               {@code portcullis_upstream_proxy_networks} and
 *                               {@code smtpd_upstream_proxy_timeout} (null = off)
 */
public record EdgeSettings(
        String myhostname,
        String inetInterfaces,
        String smtpdBanner,
        String syslogName,
        Path maillogFile,
        Duration errorSleepTime,
        int softErrorLimit,
        int hardErrorLimit,
        int junkCommandLimit,
        boolean tarpitEscalation,
        Duration tarpitMaxDelay,
        int lineLengthLimit,
        Duration smtpdTimeout,
        long headerSizeLimit,
        long messageSizeLimit,
        int recipientLimit,
        int processLimit,
        boolean heloRequired,
        boolean disableVrfy,
        BareNewlinePolicy bareNewline,
        Predicate<InetAddress> bareNewlineExclusions,
        Predicate<InetAddress> mynetworks,
        Predicate<String> localDomain,
        Predicate<String> relayDomain,
        RestrictionEngine restrictions,
        AnvilLimits anvil,
        TlsSettings tls,
        String nextHops,
        Duration proxyTimeout,
        String edgeId,
        UpstreamProxy.Settings upstreamProxy) {

    /**
     * Anvil's per-client limits (0 = no limit) over {@code anvil_rate_time_unit}, and the
     * clients exempt from them ({@code smtpd_client_event_limit_exceptions}).
     */
    public record AnvilLimits(int connectionCountLimit, int connectionRateLimit, int messageRateLimit,
                              int recipientRateLimit, int newTlsSessionRateLimit, Duration rateTimeUnit,
                              Predicate<InetAddress> exceptions) {
    }

    /**
     * STARTTLS: {@code smtpd_tls_cert_file} and {@code smtpd_tls_key_file} (PEM), whether TLS
     * is required before mail ({@code smtpd_tls_security_level = encrypt}), and the JSSE
     * protocol and cipher suite names to enable at that level.
     */
    public record TlsSettings(Path certFile, Path keyFile, boolean required, Set<String> protocols,
                              List<String> cipherSuites) {
        public TlsSettings {
            protocols = Set.copyOf(protocols);
            cipherSuites = List.copyOf(cipherSuites);
        }
    }
}
