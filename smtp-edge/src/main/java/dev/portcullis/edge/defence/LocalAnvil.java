package dev.portcullis.edge.defence;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.portcullis.edge.config.EdgeSettings.AnvilLimits;

import java.net.InetAddress;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * This edge's own copy of Postfix's anvil(8): per-client concurrent connection counts and
 * event rates, checked as smtpd checks them.
 *
 * <p>How: each client has one {@link ClientState}. A rate counter is a fixed window that
 * starts at the first event and is reset once {@code anvil_rate_time_unit} has passed since
 * then, as anvil does; every attempt is counted, refused ones included, and the limit is
 * exceeded when the count goes above it (the limit-th event is still allowed). Clients in
 * {@code smtpd_client_event_limit_exceptions} are never limited (and not counted).
 *
 * <p>Memory: rate windows live in a bounded Caffeine cache that forgets idle clients after
 * twice the time unit, so a flood of distinct addresses cannot grow it without bound.
 * Concurrent connection counts live apart, in a map that holds a client only while it has a
 * session open - bounded by {@code default_process_limit}, and never expired from under a
 * client that keeps its sessions alive. Like anvil, it cannot tell NAT users apart.
 *
 * <p>Thread-safe: sessions on different event loops share it; each client's state is
 * guarded by its own monitor and held only for a few arithmetic operations.
 */
public final class LocalAnvil {

    /** Which limit refused an event, with the count that went over it. */
    public record Exceeded(String parameter, long value, long limit) {
    }

    private final AnvilLimits limits;
    private final LongSupplier nanoClock;
    private final Cache<String, ClientState> clients;
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> open = new java.util.concurrent.ConcurrentHashMap<>();

    public LocalAnvil(AnvilLimits limits, long maxClients, LongSupplier nanoClock) {
        this.limits = limits;
        this.nanoClock = nanoClock;
        Ticker ticker = nanoClock::getAsLong;
        this.clients = Caffeine.newBuilder()
                .maximumSize(maxClients)
                .executor(Runnable::run)
                .expireAfterAccess(limits.rateTimeUnit().multipliedBy(2).plus(Duration.ofSeconds(1)))
                .ticker(ticker)
                .build();
    }

    public boolean exempt(InetAddress client) {
        return limits.exceptions().test(client);
    }

    /**
     * A new connection: counts it and says whether the connection count or rate limit is
     * exceeded. The caller must call {@link #disconnect} when the session ends, whatever
     * this returned (the count is taken either way, as in anvil).
     */
    public Exceeded connect(InetAddress client, String ip) {
        if (exempt(client)) {
            return null;
        }
        int connections = open.compute(ip, (k, c) -> {
            int[] count = c == null ? new int[1] : c;
            count[0]++;
            return count;
        })[0];
        ClientState state = clients.get(ip, k -> new ClientState());
        long now = nanoClock.getAsLong();
        synchronized (state) {
            long rate = state.connectionRate.increment(now, unit());
            if (limits.connectionCountLimit() > 0 && connections > limits.connectionCountLimit()) {
                return new Exceeded("smtpd_client_connection_count_limit", connections,
                        limits.connectionCountLimit());
            }
            if (limits.connectionRateLimit() > 0 && rate > limits.connectionRateLimit()) {
                return new Exceeded("smtpd_client_connection_rate_limit", rate, limits.connectionRateLimit());
            }
            return null;
        }
    }

    public void disconnect(InetAddress client, String ip) {
        if (exempt(client)) {
            return;
        }
        open.computeIfPresent(ip, (k, c) -> --c[0] <= 0 ? null : c);
    }

    /** A MAIL command; null when within {@code smtpd_client_message_rate_limit}. */
    public Exceeded message(InetAddress client, String ip) {
        return rate(client, ip, limits.messageRateLimit(), "smtpd_client_message_rate_limit", Counter.MESSAGE);
    }

    /** A RCPT command; null when within {@code smtpd_client_recipient_rate_limit}. */
    public Exceeded recipient(InetAddress client, String ip) {
        return rate(client, ip, limits.recipientRateLimit(), "smtpd_client_recipient_rate_limit", Counter.RECIPIENT);
    }

    /**
     * A new TLS session, counted once its handshake is done (anvil_clnt_newtls); null when
     * within {@code smtpd_client_new_tls_session_rate_limit}.
     */
    public Exceeded newTlsSession(InetAddress client, String ip) {
        return rate(client, ip, limits.newTlsSessionRateLimit(), "smtpd_client_new_tls_session_rate_limit",
                Counter.TLS);
    }

    /**
     * At STARTTLS, before the handshake (anvil_clnt_newtls_stat): the new TLS sessions so far,
     * not counting this one; null when they are within the limit.
     */
    public Exceeded newTlsSessionStatus(InetAddress client, String ip) {
        int limit = limits.newTlsSessionRateLimit();
        if (limit <= 0 || exempt(client)) {
            return null;
        }
        ClientState state = clients.getIfPresent(ip);
        if (state == null) {
            return null;
        }
        long rate;
        synchronized (state) {
            rate = state.tlsRate.current(nanoClock.getAsLong(), unit());
        }
        return rate > limit ? new Exceeded("smtpd_client_new_tls_session_rate_limit", rate, limit) : null;
    }

    /** Clients currently tracked (for metrics). */
    public long trackedClients() {
        return clients.estimatedSize();
    }


    private enum Counter { MESSAGE, RECIPIENT, TLS }

    private Exceeded rate(InetAddress client, String ip, int limit, String parameter, Counter which) {
        if (limit <= 0 || exempt(client)) {
            return null; // anvil is not even asked when the limit is off
        }
        ClientState state = clients.get(ip, k -> new ClientState());
        long now = nanoClock.getAsLong();
        long rate;
        synchronized (state) {
            Window window = switch (which) {
                case MESSAGE -> state.messageRate;
                case RECIPIENT -> state.recipientRate;
                case TLS -> state.tlsRate;
            };
            rate = window.increment(now, unit());
        }
        return rate > limit ? new Exceeded(parameter, rate, limit) : null;
    }

    private long unit() {
        return limits.rateTimeUnit().toNanos();
    }

    private static final class ClientState {
        final Window connectionRate = new Window();
        final Window messageRate = new Window();
        final Window recipientRate = new Window();
        final Window tlsRate = new Window();
    }

    /** anvil's fixed window: starts at the first event, resets after one time unit. */
    private static final class Window {
        long start;
        long count;

        long increment(long now, long unit) {
            if (count == 0 || now - start >= unit) {
                start = now;
                count = 0;
            }
            return ++count;
        }

        long current(long now, long unit) {
            return count == 0 || now - start >= unit ? 0 : count;
        }
    }
}
