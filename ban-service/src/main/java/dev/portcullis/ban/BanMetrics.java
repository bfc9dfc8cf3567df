package dev.portcullis.ban;

import dev.portcullis.ban.api.DecisionStreams;
import dev.portcullis.ban.bus.DecisionPublisher;
import dev.portcullis.ban.bus.EventIngest;
import dev.portcullis.ban.engine.BanCore;
import dev.portcullis.ban.engine.Jail;
import dev.portcullis.ban.store.BanStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.ObserverMethod;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;

/** {@code portcullis_ban_*} metrics, read from the components' own counters. */
@ApplicationScoped
public class BanMetrics {

    @Inject
    MeterRegistry registry;
    @Inject
    BanService service;
    @Inject
    DecisionPublisher publisher;
    @Inject
    EventIngest ingest;
    @Inject
    BanStore store;
    @Inject
    DecisionStreams streams;

    void onStart(@Observes @Priority(ObserverMethod.DEFAULT_PRIORITY + 100) StartupEvent ev) {
        BanCore core = service.core();
        FunctionCounter.builder("portcullis_ban_events", ingest, EventIngest::read).tag("result", "read")
                .description("session events read from the bus").register(registry);
        FunctionCounter.builder("portcullis_ban_events", ingest, EventIngest::unreadable).tag("result", "unreadable")
                .description("records skipped as unreadable").register(registry);
        FunctionCounter.builder("portcullis_ban_events", core, BanCore::unreadableAddresses)
                .tag("result", "bad_address").description("events whose client is not an address literal")
                .register(registry);
        FunctionCounter.builder("portcullis_ban_events", core, BanCore::enforcements).tag("result", "enforcement")
                .description("refusals of already banned clients (check portcullis_ban): never failures").register(registry);
        for (Jail j : core.jails()) {
            String n = j.name();
            FunctionCounter.builder("portcullis_ban_jail_failures", j, Jail::matchedCount).tag("jail", n).register(registry);
            FunctionCounter.builder("portcullis_ban_jail_ignored", j, Jail::ignoredCount).tag("jail", n)
                    .description("failures of ignoreip or allowed addresses").register(registry);
            FunctionCounter.builder("portcullis_ban_jail_stale", j, Jail::staleCount).tag("jail", n)
                    .description("failures older than findtime when read").register(registry);
            FunctionCounter.builder("portcullis_ban_jail_evicted", j, Jail::evictedCount).tag("jail", n)
                    .description("addresses whose failures were dropped to stay within max-tracked").register(registry);
            FunctionCounter.builder("portcullis_ban_jail_bans", j, Jail::banCount).tag("jail", n).register(registry);
            Gauge.builder("portcullis_ban_jail_tracked", j, Jail::tracked).tag("jail", n).register(registry);
        }
        Gauge.builder("portcullis_ban_decisions", core, c -> c.book().published())
                .description("networks with a live decision").register(registry);
        FunctionCounter.builder("portcullis_ban_decisions_refused", core, c -> c.book().refused())
                .description("claims refused because max-decisions networks were held").register(registry);
        FunctionCounter.builder("portcullis_ban_published", publisher, DecisionPublisher::published).tag("kind", "decision")
                .register(registry);
        FunctionCounter.builder("portcullis_ban_published", publisher, DecisionPublisher::tombstones).tag("kind", "tombstone")
                .register(registry);
        FunctionCounter.builder("portcullis_ban_publish_failures", publisher, DecisionPublisher::failed).register(registry);
        FunctionCounter.builder("portcullis_ban_grid_failures", store, BanStore::failures).register(registry);
        FunctionCounter.builder("portcullis_ban_history_failures", core, BanCore::historyFailures).register(registry);
        FunctionCounter.builder("portcullis_ban_blocklist_reloads", service, BanService::listReloads).register(registry);
        FunctionCounter.builder("portcullis_ban_blocklist_reload_failures", service, BanService::listReloadFailures)
                .register(registry);
        FunctionCounter.builder("portcullis_ban_engine_failures", service, BanService::engineFailures).register(registry);
        Gauge.builder("portcullis_ban_streams", streams, DecisionStreams::open).register(registry);
        FunctionCounter.builder("portcullis_ban_streams_cut_off", streams, DecisionStreams::cutOff).register(registry);
    }
}
