package dev.portcullis.edge;

import dev.portcullis.edge.cluster.BusFeed;
import dev.portcullis.edge.cluster.DecisionConsumer;
import dev.portcullis.edge.cluster.VerdictConsumer;
import dev.portcullis.edge.events.EventPublisher;
import io.smallrye.health.api.Wellness;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

import java.util.concurrent.TimeUnit;

/**
 * Health of the edge. Readiness is about SMTP only: an edge whose Kafka is gone still
 * serves mail on its local limits, so taking it out of the load balancer would turn a bus
 * outage into a mail outage. The bus state is reported in the check's data (and in metrics)
 * as {@code degraded}, with the event counters, so operators see it; so are the cluster-wide
 * verdicts this edge holds and the verdict records it could not read. Readiness does not wait
 * for the verdicts (until they arrive the edge enforces its local limits), but it does wait,
 * up to {@code portcullis.decisions.startup-wait}, for the replay of the ban decisions: an
 * edge in the load balancer before it knows the bans would let banned clients in.
 */
@ApplicationScoped
public class EdgeHealth {

    @Inject
    EdgeApplication application;
    @Inject
    EventPublisher publisher;
    @Inject
    VerdictConsumer verdicts;
    @Inject
    DecisionConsumer decisions;
    @Inject
    BusFeed feed;

    @Readiness
    HealthCheck smtpReady() {
        return () -> withBus(HealthCheckResponse.named("smtp")
                .status(application.smtpPort() > 0 && !application.draining() && feed.settled())
                .withData("port", application.smtpPort())
                .withData("draining", application.draining())
                .withData("activeSessions", application.activeSessions()));
    }

    @Liveness
    HealthCheck alive() {
        return () -> HealthCheckResponse.named("smtp-edge").up().build();
    }

    @Wellness
    HealthCheck bus() {
        return () -> withBus(HealthCheckResponse.named("event-bus").status(!degraded()));
    }

    private boolean degraded() {
        return publisher.degraded(TimeUnit.SECONDS.toNanos(10)) || publisher.dropped() > 0 && publisher.inFlight() > 0;
    }

    private HealthCheckResponse withBus(HealthCheckResponseBuilder b) {
        b.withData("eventBus", degraded() ? "degraded" : "ok")
                .withData("eventsPublished", publisher.published())
                .withData("eventsDropped", publisher.dropped())
                .withData("eventsFailed", publisher.failed())
                .withData("eventsInFlight", publisher.inFlight())
                .withData("verdicts", verdicts.table().size())
                .withData("verdictsRead", verdicts.read())
                .withData("verdictsUnreadable", verdicts.unreadable())
                .withData("verdictsEvicted", verdicts.table().evicted())
                .withData("decisions", decisions.table().size())
                .withData("decisionsReplayed", feed.decisionsReplayed())
                .withData("busReader", feed.state())
                .withData("decisionsRead", decisions.read())
                .withData("decisionsUnreadable", decisions.unreadable())
                .withData("decisionsOverflowed", decisions.table().overflowed());
        String failure = publisher.lastFailure();
        if (failure != null) {
            b.withData("lastFailure", failure.length() > 200 ? failure.substring(0, 200) : failure);
        }
        return b.build();
    }
}
