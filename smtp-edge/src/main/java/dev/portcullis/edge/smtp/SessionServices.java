package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.defence.TarpitPolicy;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.edge.relay.NextHopClient;
import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What every session on this edge shares: settings, the defences (the local tarpit and
 * anvil, the restriction lists, the cluster-wide verdicts and the ban decisions read from the bus), the next hop, the event and log sinks,
 * and the metrics. Built once at start-up; all members are thread-safe.
 */
public record SessionServices(
        Vertx vertx,
        EdgeSettings settings,
        TarpitPolicy tarpit,
        LocalAnvil anvil,
        ClusterVerdicts verdicts,
        BanGate bans,
        RestrictionEngine restrictions,
        ContentCheck content,
        NextHopClient nextHop,
        Consumer<SessionEvent> events,
        MailLog log,
        EdgeMetrics metrics,
        Clock clock) {

    EventMeta meta(String sessionId, String clientIp) {
        return new EventMeta(SessionEvent.SCHEMA, UUID.randomUUID().toString(), clock.instant(),
                settings.edgeId(), sessionId, clientIp);
    }
}
