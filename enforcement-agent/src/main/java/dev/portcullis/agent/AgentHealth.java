package dev.portcullis.agent;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Health of the agent. Ready once the initial replay of the decisions is complete (the
 * reader's position has reached the end offsets the decisions partitions had when they were
 * first assigned) and every enabled enforcer has applied it: nft's first full sync
 * succeeded, the cidr table was written, the policy server listens. Until then the agent
 * would enforce a partial set, and a node or Postfix host should not take traffic on it.
 * Once ready it stays ready through a broker outage (it enforces what it has); nft failures
 * after that show in the data and in {@code portcullis_agent_nft_failures_total}.
 * Live while the bus reader's thread runs.
 */
public final class AgentHealth {

    private AgentHealth() {
    }

    @Readiness
    @ApplicationScoped
    public static class Ready implements HealthCheck {
        @Inject
        Agent agent;

        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("enforcement-agent");
            LiveSet live = agent.live();
            if (live == null || agent.reader() == null) {
                return b.down().withData("state", "starting").build();
            }
            boolean up = agent.reader().isReplayed(agent.decisionsTopic());
            b.withData("bus", agent.reader().state()).withData("replayLag", agent.reader().replayLag(agent.decisionsTopic()))
                    .withData("decisions", live.decisions().size()).withData("verdicts", live.verdicts().size())
                    .withData("unreadable", live.unreadable());
            if (agent.nft().isPresent()) {
                var n = agent.nft().get();
                up &= n.isSynced();
                b.withData("nft", n.isSynced() ? (n.lastError() == null ? "in sync" : "failing") : "not synced yet")
                        .withData("nftElements", n.elements()).withData("nftFailures", n.failures());
                if (n.lastError() != null) {
                    b.withData("nftLastError", n.lastError());
                }
            }
            if (agent.export().isPresent()) {
                var e = agent.export().get();
                up &= e.isWritten();
                b.withData("export", e.file().toString()).withData("exportEntries", e.entries());
                if (e.lastError() != null) {
                    b.withData("exportLastError", e.lastError());
                }
            }
            agent.policy().ifPresent(p -> b.withData("policyConnections", p.activeConnections()));
            return b.status(up).build();
        }
    }

    @Liveness
    @ApplicationScoped
    public static class Live implements HealthCheck {
        @Inject
        Agent agent;

        @Override
        public HealthCheckResponse call() {
            boolean alive = agent.reader() == null || agent.reader().isAlive();
            return HealthCheckResponse.named("enforcement-agent-bus-reader").status(alive).build();
        }
    }
}
