package dev.portcullis.reputation;

import dev.portcullis.reputation.ingest.Aggregator;
import dev.portcullis.reputation.store.StateStore;
import dev.portcullis.reputation.verdict.VerdictPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import java.util.Set;

/**
 * Ready while the grid answers: the REST API and ingest both need it. A reachable grid with
 * an absent Kafka stays ready (the API still answers from the grid); the Kafka connector's
 * own liveness check covers a failed consumer.
 */
@Readiness
@ApplicationScoped
public class ReputationHealth implements HealthCheck {

    @Inject
    StateStore store;
    @Inject
    Aggregator aggregator;
    @Inject
    dev.portcullis.reputation.ingest.EventIngest ingest;
    @Inject
    VerdictPublisher verdicts;

    @Override
    public HealthCheckResponse call() {
        boolean up;
        try {
            store.getAll(Set.of(Subjects.META_PARTITIONS));
            up = true;
        } catch (RuntimeException e) {
            up = false;
        }
        HealthCheckResponseBuilder b = HealthCheckResponse.named("grid").status(up)
                .withData("eventsApplied", aggregator.applied())
                .withData("eventsUnreadable", aggregator.unreadable())
                .withData("eventsDuplicate", aggregator.duplicates())
                .withData("eventsFailed", aggregator.failed())
                .withData("eventsConsumer", ingest.state())
                .withData("batches", aggregator.batches())
                .withData("writes", aggregator.writes())
                .withData("statesReadAhead", aggregator.prefetched())
                .withData("tracked", aggregator.tracked())
                .withData("partitions", aggregator.partitions())
                .withData("storeRetries", aggregator.storeRetries())
                .withData("verdictsPublished", verdicts.published())
                .withData("verdictTombstones", verdicts.tombstones())
                .withData("verdictsDropped", verdicts.dropped());
        if (store.lastFailure() != null) {
            b.withData("lastStoreFailure", store.lastFailure());
        }
        return b.build();
    }
}
