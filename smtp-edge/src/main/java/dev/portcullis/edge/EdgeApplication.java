package dev.portcullis.edge;

import dev.portcullis.edge.cluster.DecisionConsumer;
import dev.portcullis.edge.cluster.VerdictConsumer;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.config.EdgeSettingsLoader;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.content.ContentFilterClient;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.defence.TarpitPolicy;
import dev.portcullis.edge.events.EventPublisher;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.edge.relay.NextHop;
import dev.portcullis.edge.relay.NextHopClient;
import dev.portcullis.edge.smtp.EdgeMetrics;
import dev.portcullis.edge.smtp.SessionServices;
import dev.portcullis.edge.smtp.SmtpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts the edge: reads {@code main.cf} (failing start-up with file, line, parameter and
 * value when something is wrong), builds the shared session services (with the cluster-wide
 * verdict table that {@link VerdictConsumer} fills from the bus), and binds the SMTP port.
 * On shutdown (SIGTERM) it drains sessions for {@code portcullis.drain-timeout}.
 */
@ApplicationScoped
public class EdgeApplication {

    private static final Logger LOG = Logger.getLogger(EdgeApplication.class);

    @Inject
    Vertx vertx;
    @Inject
    MeterRegistry registry;
    @Inject
    EventPublisher publisher;
    @Inject
    EdgeSettingsLoader loader;
    @Inject
    VerdictConsumer verdicts;
    @Inject
    DecisionConsumer decisions;

    @ConfigProperty(name = "portcullis.smtp-port", defaultValue = "2525")
    int smtpPort;
    @ConfigProperty(name = "portcullis.smtp-host")
    Optional<String> smtpHost;
    @ConfigProperty(name = "portcullis.drain-timeout", defaultValue = "30s")
    Duration drainTimeout;
    @ConfigProperty(name = "portcullis.anvil.max-clients", defaultValue = "200000")
    long anvilMaxClients;
    @ConfigProperty(name = "portcullis.ban.action", defaultValue = "reply")
    String banAction;
    @ConfigProperty(name = "portcullis.ban.port", defaultValue = "25")
    int banPort;
    @ConfigProperty(name = "portcullis.content-filter.url")
    Optional<String> contentFilterUrl;
    @ConfigProperty(name = "portcullis.content-filter.token")
    Optional<String> contentFilterToken;
    @ConfigProperty(name = "portcullis.content-filter.timeout", defaultValue = "30s")
    Duration contentFilterTimeout;
    @ConfigProperty(name = "portcullis.content-filter.failure-action", defaultValue = "tempfail")
    String contentFilterFailureAction;
    @ConfigProperty(name = "portcullis.content-filter.breaker-volume", defaultValue = "20")
    int contentFilterBreakerVolume;
    @ConfigProperty(name = "portcullis.content-filter.breaker-delay", defaultValue = "30s")
    Duration contentFilterBreakerDelay;
    @ConfigProperty(name = "portcullis.event-loops", defaultValue = "0")
    int eventLoops;

    private volatile SmtpServer server;
    private volatile ContentFilterClient contentFilter;
    private volatile SessionServices services;
    private MailLog mailLog;

    void start(@Observes StartupEvent ev) {
        EdgeSettings settings = loader.load();
        try {
            mailLog = new MailLog(settings.maillogFile(), settings.syslogName(), settings.myhostname(),
                    Clock.systemDefaultZone());
        } catch (IOException e) {
            throw new UncheckedIOException("maillog_file " + settings.maillogFile() + ": " + e.getMessage(), e);
        }
        List<NextHop> hops = NextHop.parseList(settings.nextHops());
        NextHopClient nextHop = new NextHopClient(vertx, hops, settings.proxyTimeout(), settings.myhostname(),
                settings.lineLengthLimit(), 100);
        EdgeMetrics metrics = new EdgeMetrics(registry);
        services = new SessionServices(vertx, settings,
                new TarpitPolicy(settings.errorSleepTime(), settings.softErrorLimit(), settings.hardErrorLimit(),
                        settings.tarpitEscalation(), settings.tarpitMaxDelay()),
                new LocalAnvil(settings.anvil(), anvilMaxClients, System::nanoTime),
                verdicts.table(),
                new BanGate(decisions.table(), BanGate.Action.parse(banAction), banPort, Clock.systemUTC()),
                settings.restrictions(),
                contentCheck(settings),
                nextHop, publisher::publish, mailLog, metrics, Clock.systemUTC());
        registry.gauge("portcullis.edge.events.dropped", publisher, EventPublisher::dropped);
        registry.gauge("portcullis.edge.events.failed", publisher, EventPublisher::failed);
        registry.gauge("portcullis.edge.events.published", publisher, EventPublisher::published);
        registry.gauge("portcullis.edge.events.inflight", publisher, EventPublisher::inFlight);
        registry.gauge("portcullis.edge.maillog.dropped", mailLog, MailLog::dropped);

        String host = smtpHost.orElse(settings.inetInterfaces());
        int loops = eventLoops > 0 ? eventLoops : 2 * Runtime.getRuntime().availableProcessors();
        server = new SmtpServer(services, host, smtpPort);
        try {
            server.start(loops).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen for SMTP on " + host + ":" + smtpPort + ": "
                    + rootMessage(e), e);
        }
        LOG.infof("smtp-edge %s listening for SMTP on %s:%d, next hop(s) %s, %d event loops",
                settings.edgeId(), host, server.port(), settings.nextHops(), loops);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (server != null) {
            LOG.infof("draining %d SMTP sessions (up to %s)", server.activeSessions(), drainTimeout);
            server.stop(drainTimeout);
        }
        if (mailLog != null) {
            mailLog.close();
        }
    }

    /** The content check from {@code portcullis.content-filter.*}; none when no URL is set. */
    private ContentCheck contentCheck(EdgeSettings settings) {
        String url = contentFilterUrl.map(String::strip).orElse("");
        if (url.isEmpty()) {
            return ContentCheck.NONE;
        }
        if (contentFilterTimeout.isNegative() || contentFilterTimeout.isZero()) {
            throw new IllegalStateException("portcullis.content-filter.timeout must be positive, not "
                    + contentFilterTimeout);
        }
        if (contentFilterBreakerVolume < 1) {
            throw new IllegalStateException("portcullis.content-filter.breaker-volume must be at least 1, not "
                    + contentFilterBreakerVolume);
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("portcullis.content-filter.url is not a URL: " + e.getMessage());
        }
        if (uri.getHost() == null) {
            throw new IllegalStateException("portcullis.content-filter.url has no host: " + url);
        }
        contentFilter = new ContentFilterClient(vertx, uri, contentFilterToken.orElse(null), contentFilterTimeout,
                contentFilterBreakerVolume, contentFilterBreakerDelay);
        long limit = settings.messageSizeLimit() > 0 ? settings.messageSizeLimit() : 64L << 20;
        LOG.infof("content check: %s (timeout %s, on failure %s)", uri, contentFilterTimeout,
                contentFilterFailureAction);
        return new ContentCheck(contentFilter, ContentCheck.FailureAction.parse(contentFilterFailureAction), limit);
    }

    /** The content filter's client, or null when there is no content check. */
    public ContentFilterClient contentFilter() {
        return contentFilter;
    }

    /** The bound SMTP port (useful when configured as 0), or -1 before start. */
    public int smtpPort() {
        SmtpServer s = server;
        return s == null ? -1 : s.port();
    }

    /** True once SIGTERM started the drain: readiness goes DOWN so no new clients are sent here. */
    public boolean draining() {
        SmtpServer s = server;
        return s != null && s.draining();
    }

    public int activeSessions() {
        SmtpServer s = server;
        return s == null ? 0 : s.activeSessions();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
