package dev.portcullis.edge.config;

import dev.portcullis.edge.proxy.UpstreamProxy;
import dev.portcullis.edge.restrict.Destinations;
import dev.portcullis.edge.tls.TlsConfig;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.postfix.DomainList;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.MainCfSource;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.postfix.PostfixParameters;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds {@link EdgeSettings} from the {@code main.cf} named by {@code PORTCULLIS_MAIN_CF}
 * ({@code portcullis.main-cf}; Postfix's built-in defaults when unset), overridden by any
 * {@code postfix.<parameter>} Quarkus property or {@code POSTFIX_<PARAMETER>} environment
 * variable. Every value is checked here, at start-up; a bad one stops the edge with the file,
 * line, parameter and value (see {@link PostfixConfigException}).
 */
@ApplicationScoped
public class EdgeSettingsLoader {

    /** Non-Postfix settings of ours keep Postfix's naming style with this prefix. */
    static final String OWN = "portcullis_";

    public EdgeSettings load() {
        Config config = ConfigProvider.getConfig();
        MainCf mainCf = MainCfSource.load(config.getOptionalValue("portcullis.main-cf", String.class),
                "PORTCULLIS_MAIN_CF", overrides(config), "Quarkus configuration");
        String nextHops = config.getOptionalValue("portcullis.next-hops", String.class).orElse("127.0.0.1:2526");
        String edgeId = config.getOptionalValue("portcullis.edge-id", String.class)
                .orElseGet(() -> Optional.ofNullable(System.getenv("HOSTNAME")).orElse("edge"));
        return from(mainCf.parameters(), nextHops, edgeId);
    }

    /** Collects postfix.NAME properties and POSTFIX_NAME environment variables. */
    static Map<String, String> overrides(Config config) {
        return MainCfSource.overrides(config.getPropertyNames(), n -> config.getOptionalValue(n, String.class));
    }

    /** The mapping itself, separate from where the values came from (tests use it directly). */
    public static EdgeSettings from(PostfixParameters p, String nextHops, String edgeId) {
        int soft = p.integer("smtpd_soft_error_limit");
        int hard = p.integer("smtpd_hard_error_limit");
        NetworkList mynetworks = p.networkList("mynetworks");
        DomainList mydestination = p.domainList("mydestination");
        DomainList relayDomains = p.domainList("relay_domains");
        RestrictionEngine restrictions = RestrictionEngine.from(p, mynetworks::matches,
                new Destinations(mydestination::matches, relayDomains::matches, p.string("myorigin")));
        EdgeSettings.TlsSettings tls = TlsConfig.from(p);
        String maillog = p.string("maillog_file");
        String inet = p.list("inet_interfaces").stream().findFirst().orElse("all");
        String listen = switch (inet.toLowerCase(Locale.ROOT)) {
            case "all" -> "0.0.0.0";
            case "loopback-only", "localhost" -> "127.0.0.1";
            default -> inet;
        };
        Duration maxDelay = p.has(OWN + "tarpit_max_delay") ? p.time(OWN + "tarpit_max_delay") : Duration.ofSeconds(30);
        boolean escalate = p.has(OWN + "tarpit_escalation") && p.bool(OWN + "tarpit_escalation");
        int processLimit = p.integer("default_process_limit");
        if (processLimit < 1) {
            throw p.invalid("default_process_limit", "must be at least 1");
        }
        int lineLimit = p.integer("line_length_limit");
        if (lineLimit < 512) {
            // RFC 5321 4.5.3.1.4: a command line may be 512 octets; Postfix's minimum is 2048
            throw p.invalid("line_length_limit", "must be at least 512");
        }
        NetworkList bareExclusions = p.networkList("smtpd_forbid_bare_newline_exclusions");
        BareNewlinePolicy bare;
        try {
            bare = BareNewlinePolicy.parse(p.string("smtpd_forbid_bare_newline"));
        } catch (IllegalArgumentException e) {
            throw p.invalid("smtpd_forbid_bare_newline", e.getMessage());
        }
        return new EdgeSettings(
                p.string("myhostname"),
                listen,
                p.string("smtpd_banner"),
                p.string("syslog_name"),
                maillog.isEmpty() ? null : Path.of(maillog),
                p.time("smtpd_error_sleep_time"),
                soft,
                hard,
                p.integer("smtpd_junk_command_limit"),
                escalate,
                maxDelay,
                lineLimit,
                positive(p, "smtpd_timeout"),
                p.size("header_size_limit"),
                p.size("message_size_limit"),
                p.integer("smtpd_recipient_limit"),
                processLimit,
                p.bool("smtpd_helo_required"),
                p.bool("disable_vrfy_command"),
                bare,
                bareExclusions::matches,
                mynetworks::matches,
                d -> mydestination.matches(d),
                d -> relayDomains.matches(d),
                restrictions,
                new EdgeSettings.AnvilLimits(
                        p.integer("smtpd_client_connection_count_limit"),
                        p.integer("smtpd_client_connection_rate_limit"),
                        p.integer("smtpd_client_message_rate_limit"),
                        p.integer("smtpd_client_recipient_rate_limit"),
                        p.integer("smtpd_client_new_tls_session_rate_limit"),
                        positive(p, "anvil_rate_time_unit"),
                        exceptions(p)),
                tls,
                nextHops,
                positive(p, "smtpd_proxy_timeout"),
                edgeId,
                upstreamProxy(p));
    }

    /**
     * smtpd_upstream_proxy_protocol (empty or "haproxy", as Postfix) and, ours, the load
     * balancers allowed to send the header: without them the edge would believe any client's
     * claim to be any address, so they must be listed whenever the protocol is on.
     */
    private static UpstreamProxy.Settings upstreamProxy(PostfixParameters p) {
        String trustedName = OWN + "upstream_proxy_networks";
        String protocol = p.string("smtpd_upstream_proxy_protocol");
        if (protocol.isEmpty()) {
            return null;
        }
        p.enumValue("smtpd_upstream_proxy_protocol", "haproxy");
        NetworkList trusted = p.has(trustedName) ? p.networkList(trustedName) : null;
        if (trusted == null || trusted.isEmpty()) {
            throw p.invalid("smtpd_upstream_proxy_protocol", "set " + trustedName
                    + " to the load balancers' networks (CIDR list) that may send PROXY headers");
        }
        return new UpstreamProxy.Settings(trusted::matches, positive(p, "smtpd_upstream_proxy_timeout"));
    }

    private static java.util.function.Predicate<InetAddress> exceptions(PostfixParameters p) {
        NetworkList list = p.networkList("smtpd_client_event_limit_exceptions");
        return list::matches;
    }

    private static Duration positive(PostfixParameters p, String name) {
        Duration d = p.time(name);
        if (d.isZero() || d.isNegative()) {
            throw p.invalid(name, "must be greater than zero");
        }
        return d;
    }
}
