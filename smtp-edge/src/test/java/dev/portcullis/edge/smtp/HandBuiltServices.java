package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.defence.TarpitPolicy;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.edge.relay.NextHop;
import dev.portcullis.edge.relay.NextHopClient;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.SessionEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The edge's session services built by hand, without Quarkus or Kafka, for tests that drive a
 * real {@link SmtpServer} with tables they fill directly.
 */
final class HandBuiltServices {

    private HandBuiltServices() {
    }

    static SessionServices build(Vertx vertx, EdgeSettings settings, ClusterVerdicts verdicts, BanGate bans,
                                 Consumer<SessionEvent> events, MailLog log, Duration proxyTimeout) {
        return build(vertx, settings, verdicts, bans, ContentCheck.NONE, events, log, proxyTimeout);
    }

    static SessionServices build(Vertx vertx, EdgeSettings settings, ClusterVerdicts verdicts, BanGate bans,
                                 ContentCheck content, Consumer<SessionEvent> events, MailLog log,
                                 Duration proxyTimeout) {
        return build(vertx, settings, verdicts, bans, content, events, log, proxyTimeout,
                new EdgeMetrics(new SimpleMeterRegistry()));
    }

    static SessionServices build(Vertx vertx, EdgeSettings settings, ClusterVerdicts verdicts, BanGate bans,
                                 ContentCheck content, Consumer<SessionEvent> events, MailLog log,
                                 Duration proxyTimeout, EdgeMetrics metrics) {
        return new SessionServices(vertx, settings,
                new TarpitPolicy(settings.errorSleepTime(), settings.softErrorLimit(), settings.hardErrorLimit(), false,
                        Duration.ofSeconds(30)),
                new LocalAnvil(settings.anvil(), 1000, System::nanoTime),
                verdicts, bans,
                settings.restrictions(),
                content,
                new NextHopClient(vertx, NextHop.parseList(settings.nextHops()), proxyTimeout, settings.myhostname(),
                        2048, 100),
                events, log, metrics, Clock.systemUTC());
    }

    /** Bans from an empty table: nobody is banned. */
    static BanGate noBans() {
        return new BanGate(new DecisionTable(10), BanGate.Action.REPLY, 25, Clock.systemUTC());
    }
}
