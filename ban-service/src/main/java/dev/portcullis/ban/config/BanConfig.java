package dev.portcullis.ban.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.Optional;

/**
 * The service's own settings ({@code portcullis.ban.*}, or {@code PORTCULLIS_BAN_*} in the
 * environment). Durations take Quarkus' forms ({@code 30s}, {@code 10m}, {@code PT1S}); a bad
 * value stops the service at start-up naming the key.
 */
@ConfigMapping(prefix = "portcullis.ban")
public interface BanConfig {

    /** The jails file (fail2ban syntax, see {@link JailsConfig}). */
    @WithDefault("config/jails.conf")
    String jails();

    /** The blocklists file ({@link BlocklistsConfig}); unset = no blocklists. */
    Optional<String> blocklists();

    /** This instance's name in the decisions it issues (default: $HOSTNAME, else "ban-service"). */
    Optional<String> id();

    /** The Infinispan cache holding claims and ban histories (defined on the server). */
    @WithDefault("portcullis-bans")
    String cache();

    /** Most networks with a decision; a claim on a new network past it is refused and counted. */
    @WithName("max-decisions")
    @WithDefault("1000000")
    int maxDecisions();

    /** Most addresses with failures each jail holds (the least recent are evicted and counted). */
    @WithName("max-tracked")
    @WithDefault("100000")
    long maxTracked();

    /** Ban the network when this many of its addresses are banned (0 = never). */
    @WithName("network.threshold")
    @WithDefault("5")
    int networkThreshold();

    @WithName("network.prefix-v4")
    @WithDefault("24")
    int networkPrefixV4();

    @WithName("network.prefix-v6")
    @WithDefault("64")
    int networkPrefixV6();

    /** How long an address's ban history is kept after its last ban (bantime.increment, recidive). */
    @WithName("history-max-age")
    @WithDefault("30d")
    Duration historyMaxAge();

    /** A manual ban without a length lasts this long. */
    @WithName("manual-bantime")
    @WithDefault("1d")
    Duration manualBantime();

    /** How often expired decisions are lifted (and tombstoned). */
    @WithName("sweep-interval")
    @WithDefault("1s")
    Duration sweepInterval();

    /** How often blocklist files are checked for changes. */
    @WithName("blocklist-poll-interval")
    @WithDefault("5s")
    Duration blocklistPollInterval();

    /** How often each decision stream gets a keep-alive comment. */
    @WithName("stream-keep-alive")
    @WithDefault("15s")
    Duration streamKeepAlive();

    /** Most open decision streams (SSE); more get an error event and are closed. */
    @WithName("max-streams")
    @WithDefault("256")
    int maxStreams();

    /** API tokens (bearer): read-only, and admin (read and write). */
    Api api();

    interface Api {
        @WithName("read-token")
        Optional<String> readToken();

        @WithName("admin-token")
        Optional<String> adminToken();
    }
}
