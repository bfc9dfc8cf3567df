package dev.portcullis.ban;

import dev.portcullis.ban.bus.DecisionPublisher;
import dev.portcullis.ban.bus.EventIngest;
import dev.portcullis.ban.store.BanStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the decisions are restored (before that the API answers 503 and no event is
 * counted). Infinispan being away does not make it unready: decisions still go to the topic and
 * the grid is caught up when it returns; the data says {@code grid: degraded} meanwhile.
 */
@Readiness
@ApplicationScoped
public class BanHealth implements HealthCheck {

    @Inject
    BanService service;
    @Inject
    BanStore store;
    @Inject
    DecisionPublisher publisher;
    @Inject
    EventIngest ingest;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("decisions").status(service.restoredYet())
                .withData("restored", service.restoredYet())
                .withData("grid", store.healthy() ? "ok" : "degraded")
                .withData("eventsRead", ingest.read())
                .withData("eventsUnreadable", ingest.unreadable())
                .withData("decisionsPublished", publisher.published())
                .withData("tombstonesPublished", publisher.tombstones())
                .withData("publishFailures", publisher.failed());
        service.counters().forEach(b::withData);
        if (store.lastFailure() != null) {
            b.withData("lastGridFailure", store.lastFailure());
        }
        if (service.lastListFailure() != null) {
            b.withData("lastBlocklistFailure", service.lastListFailure());
        }
        return b.build();
    }
}
