package dev.portcullis.edge.smtp;

import dev.portcullis.edge.proxy.UpstreamProxy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge's Prometheus metrics (names start {@code portcullis_edge_}). Active sessions is
 * the signal to scale edges on under a flood: tarpitted sessions cost memory, not CPU.
 */
public final class EdgeMetrics implements UpstreamProxy.Counters {

    private final MeterRegistry registry;
    private final AtomicInteger activeSessions = new AtomicInteger();
    private final AtomicInteger tarpittedSessions = new AtomicInteger();
    private final Counter connections;
    private final Counter accepted;
    private final Counter errors;
    private final Counter tarpitDelays;
    private final Counter carriedErrorSessions;

    public EdgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("portcullis.edge.sessions.active", activeSessions);
        registry.gauge("portcullis.edge.sessions.tarpitted", tarpittedSessions);
        connections = registry.counter("portcullis.edge.connections");
        accepted = registry.counter("portcullis.edge.messages.accepted");
        errors = registry.counter("portcullis.edge.errors");
        tarpitDelays = registry.counter("portcullis.edge.tarpit.delays");
        carriedErrorSessions = registry.counter("portcullis.edge.cluster.carried.errors");
    }

    public AtomicInteger activeSessions() {
        return activeSessions;
    }

    AtomicInteger tarpittedSessions() {
        return tarpittedSessions;
    }

    void connection() {
        connections.increment();
    }

    void accepted() {
        accepted.increment();
    }

    void error() {
        errors.increment();
    }

    void tarpitDelay() {
        tarpitDelays.increment();
    }

    /** A connection refused because a decision bans the client ({@code action}: reply or close). */
    void banned(String action) {
        registry.counter("portcullis.edge.banned", "action", action).increment();
    }

    /** A connection refused before SMTP by the PROXY protocol: untrusted, malformed, timeout, lost. */
    @Override
    public void proxyRefused(String reason) {
        registry.counter("portcullis.edge.proxy.refused", "reason", reason).increment();
    }

    /** A PROXY header accepted: {@code proxy} (relayed client) or {@code local} (LOCAL/UNKNOWN). */
    @Override
    public void proxyAccepted(String command) {
        registry.counter("portcullis.edge.proxy.accepted", "command", command).increment();
    }

    /** A content check's outcome: accept, rewrite, reject, discard, failed. */
    void contentCheck(String result) {
        registry.counter("portcullis.edge.content.checks", "result", result).increment();
    }

    void reject(int code, String check) {
        registry.counter("portcullis.edge.rejects", "code", Integer.toString(code), "check", check).increment();
    }

    void limit(String parameter) {
        registry.counter("portcullis.edge.limits", "limit", parameter).increment();
    }

    /** A connection, MAIL or RCPT refused because of a cluster-wide verdict on {@code parameter}. */
    void clusterRefusal(String parameter) {
        registry.counter("portcullis.edge.cluster.refusals", "limit", parameter).increment();
    }

    /** A session that started with errors carried over from the client's earlier sessions. */
    void carriedErrors() {
        carriedErrorSessions.increment();
    }
}
