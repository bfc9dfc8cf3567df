package dev.portcullis.reputation;

import dev.portcullis.reputation.ingest.Aggregator;
import dev.portcullis.reputation.store.StateStore;
import dev.portcullis.reputation.verdict.VerdictPublisher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/** {@code portcullis_reputation_*} metrics, read from the components' own counters. */
@ApplicationScoped
public class ReputationMetrics {

    @Inject
    MeterRegistry registry;
    @Inject
    Aggregator aggregator;
    @Inject
    VerdictPublisher verdicts;
    @Inject
    StateStore store;

    void onStart(@Observes StartupEvent ev) {
        FunctionCounter.builder("portcullis_reputation_events", aggregator, Aggregator::applied)
                .tag("result", "applied").description("session events counted").register(registry);
        FunctionCounter.builder("portcullis_reputation_events", aggregator, Aggregator::duplicates)
                .tag("result", "duplicate").description("events skipped as already applied (replays)").register(registry);
        FunctionCounter.builder("portcullis_reputation_events", aggregator, Aggregator::unreadable)
                .tag("result", "unreadable").description("records skipped as unreadable").register(registry);
        FunctionCounter.builder("portcullis_reputation_events", aggregator, Aggregator::failed)
                .tag("result", "failed").description("events that could not be counted (a bug; see the log)").register(registry);
        FunctionCounter.builder("portcullis_reputation_batches", aggregator, Aggregator::batches).register(registry);
        FunctionCounter.builder("portcullis_reputation_store_writes", aggregator, Aggregator::writes)
                .description("writes of changed states to Infinispan (under load one holds many batches)")
                .register(registry);
        FunctionCounter.builder("portcullis_reputation_states_read_ahead", aggregator, Aggregator::prefetched)
                .description("states read from Infinispan while their batch was decoded, not waited for")
                .register(registry);
        FunctionCounter.builder("portcullis_reputation_store_retries", aggregator, Aggregator::storeRetries)
                .description("batch reads or writes retried because Infinispan did not answer").register(registry);
        FunctionCounter.builder("portcullis_reputation_store_failures", store, StateStore::failures).register(registry);
        Gauge.builder("portcullis_reputation_tracked", aggregator, Aggregator::tracked)
                .description("subjects held in memory by this instance").register(registry);
        FunctionCounter.builder("portcullis_reputation_verdicts", verdicts, VerdictPublisher::published)
                .tag("kind", "verdict").register(registry);
        FunctionCounter.builder("portcullis_reputation_verdicts", verdicts, VerdictPublisher::tombstones)
                .tag("kind", "tombstone").register(registry);
        FunctionCounter.builder("portcullis_reputation_verdicts", verdicts, VerdictPublisher::dropped)
                .tag("kind", "dropped").register(registry);
    }
}
