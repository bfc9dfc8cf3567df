package dev.portcullis.agent;

import dev.portcullis.agent.export.CidrExport;
import dev.portcullis.agent.nft.NftCommand;
import dev.portcullis.agent.nft.NftScript;
import dev.portcullis.agent.nft.NftSync;
import dev.portcullis.agent.policy.PolicyResponder;
import dev.portcullis.agent.policy.PolicyServer;
import dev.portcullis.events.BusReader;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.Origin;
import dev.portcullis.postfix.PostfixConfigException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.ToDoubleFunction;

/**
 * Starts the agent: checks the configuration, starts the bus reader and every enforcer that
 * is enabled, registers the metrics; stops them in reverse order. A bad setting stops the
 * start with the setting's name, its value and what is wrong with it.
 */
@ApplicationScoped
public class Agent {

    private static final Logger LOG = Logger.getLogger(Agent.class);

    @Inject
    AgentConfig config;
    @Inject
    Vertx vertx;
    @Inject
    MeterRegistry registry;

    private LiveSet live;
    private BusReader reader;
    private NftSync nft;
    private CidrExport export;
    private PolicyServer policy;
    private ScheduledExecutorService sweeper;
    private String id;

    void start(@Observes StartupEvent ev) {
        id = config.id().filter(s -> !s.isBlank()).orElseGet(Agent::hostName);
        positive("portcullis.agent.max-decisions", config.maxDecisions());
        positive("portcullis.agent.max-verdicts", config.maxVerdicts());
        positive("portcullis.agent.sweep-interval", config.sweepInterval());
        live = new LiveSet(Clock.systemUTC(), config.maxDecisions(), config.maxVerdicts());

        if (config.nft().enabled()) {
            nft = nftSync(config.nft());
            live.addListener(nft);
        }
        if (config.export().enabled()) {
            export = cidrExport(config.export(), config.nft().batchInterval());
            live.addListener(export);
        }
        if (config.policy().enabled()) {
            policy = policyServer(config.policy());
        }
        if (nft == null && export == null && policy == null) {
            LOG.warn("no enforcer enabled: set portcullis.agent.nft.enabled, portcullis.agent.policy.enabled"
                    + " or portcullis.agent.export.enabled to true; the agent only follows the decisions");
        }
        String verdicts = config.readVerdicts() ? config.verdictsTopic() : null;
        reader = new BusReader("portcullis-agent", kafkaProperties(), live.subscriptions(config.decisionsTopic(), verdicts));
        metrics();
        reader.start();
        if (nft != null) {
            nft.start();
        }
        if (export != null) {
            export.start();
        }
        if (policy != null) {
            policy.start();
        }
        sweeper = Daemons.every("portcullis-agent-sweeper", config.sweepInterval(), this::sweep);
        LOG.infof("enforcement agent %s: reading %s%s; nft %s, policy %s, cidr export %s", id, config.decisionsTopic(),
                verdicts == null ? "" : " and " + verdicts, nft != null ? "on (table inet " + config.nft().table() + ")"
                        : "off", policy != null ? "on (" + config.policy().host() + ":" + policy.port() + ")" : "off",
                export != null ? "on (" + export.file() + ")" : "off");
    }

    void stop(@Observes ShutdownEvent ev) {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        if (policy != null) {
            policy.close();
        }
        if (reader != null) {
            reader.close();
        }
        if (nft != null) {
            nft.close();
        }
        if (export != null) {
            export.close();
        }
    }

    private void sweep() {
        try {
            live.sweep();
        } catch (RuntimeException e) {
            LOG.warnf("sweeping expired decisions failed: %s", e.toString());
        }
    }

    private NftSync nftSync(AgentConfig.Nft c) {
        NftScript script;
        try {
            script = new NftScript(c.table(), c.hook(), c.priority(), c.verdict());
        } catch (IllegalArgumentException e) {
            throw bad("portcullis.agent.nft.table/hook/verdict", c.table() + "/" + c.hook() + "/" + c.verdict(),
                    e.getMessage());
        }
        positive("portcullis.agent.nft.batch-interval", c.batchInterval());
        positive("portcullis.agent.nft.command-timeout", c.commandTimeout());
        positive("portcullis.agent.nft.max-batch", c.maxBatch());
        NftCommand command = new NftCommand(c.command(), c.commandTimeout());
        NftCommand.Result probe = command.run("--version");
        if (!probe.ok()) {
            throw bad("portcullis.agent.nft.command", String.join(" ", c.command()),
                    "cannot run nft: " + Untrusted.printable(probe.output().strip(), 200));
        }
        return new NftSync(live, script, command, c.batchInterval(), c.maxBatch());
    }

    private CidrExport cidrExport(AgentConfig.Export c, Duration interval) {
        if (c.file().isEmpty()) {
            throw bad("portcullis.agent.export.file", "(unset)", "the export is enabled but names no file");
        }
        check("portcullis.agent.export.ban-value", c.banValue());
        check("portcullis.agent.export.allow-value", c.allowValue());
        port("portcullis.agent.export.port", c.port());
        return new CidrExport(live, c.file().get(), c.banValue().strip(), c.allowValue().strip(), c.port(),
                c.reloadCommand().orElse(List.of()), interval);
    }

    private PolicyServer policyServer(AgentConfig.Policy c) {
        NetworkList clients;
        try {
            clients = NetworkList.parse("portcullis.agent.policy.clients", c.clients(),
                    Origin.of("portcullis.agent.policy.clients"));
        } catch (PostfixConfigException e) {
            throw bad("portcullis.agent.policy.clients", c.clients(), e.getMessage());
        }
        if (c.port() < 0 || c.port() > 65535) {
            throw bad("portcullis.agent.policy.port", String.valueOf(c.port()), "not a TCP port (0-65535)");
        }
        port("portcullis.agent.policy.default-port", c.defaultPort());
        if (c.maxLine() < 512) {
            throw bad("portcullis.agent.policy.max-line", String.valueOf(c.maxLine()), "must be at least 512");
        }
        if (c.maxRequest() < c.maxLine()) {
            throw bad("portcullis.agent.policy.max-request", String.valueOf(c.maxRequest()),
                    "must be at least portcullis.agent.policy.max-line (" + c.maxLine() + ")");
        }
        positive("portcullis.agent.policy.max-attributes", c.maxAttributes());
        positive("portcullis.agent.policy.max-connections", c.maxConnections());
        positive("portcullis.agent.policy.idle-timeout", c.idleTimeout());
        check("portcullis.agent.policy.ban-action", c.banAction());
        check("portcullis.agent.policy.allow-action", c.allowAction());
        check("portcullis.agent.policy.default-action", c.defaultAction());
        check("portcullis.agent.policy.connection-action", c.connectionAction());
        check("portcullis.agent.policy.message-rate-action", c.messageRateAction());
        check("portcullis.agent.policy.recipient-rate-action", c.recipientRateAction());
        PolicyResponder responder = new PolicyResponder(live, c.defaultPort(), c.banAction().strip(),
                c.allowAction().strip(), c.defaultAction().strip(), c.connectionAction().strip(),
                c.messageRateAction().strip(), c.recipientRateAction().strip());
        return new PolicyServer(vertx, c.host(), c.port(), clients, c.maxConnections(), c.maxLine(), c.maxRequest(),
                c.maxAttributes(), c.idleTimeout(), responder);
    }

    /** The consumer's settings: every {@code kafka.*} property Kafka's consumer knows, with the prefix dropped. */
    private static Map<String, Object> kafkaProperties() {
        Config cfg = ConfigProvider.getConfig();
        Map<String, Object> props = new HashMap<>();
        for (String name : cfg.getPropertyNames()) {
            if (name.startsWith("kafka.") && ConsumerConfig.configNames().contains(name.substring(6))) {
                cfg.getOptionalValue(name, String.class).ifPresent(v -> props.put(name.substring(6), v));
            }
        }
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                cfg.getOptionalValue("kafka.bootstrap.servers", String.class).orElse("127.0.0.1:9092"));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "portcullis-agent-" + hostName());
        return props;
    }

    private void metrics() {
        gauge("portcullis.agent.decisions.active", "decisions held (some may have expired since the last sweep)",
                live, l -> l.decisions().size());
        counter("portcullis.agent.decisions.read", "decision records read, tombstones and unreadable ones included",
                live, LiveSet::decisionsRead);
        counter("portcullis.agent.decisions.overflowed", "decisions not held because portcullis.agent.max-decisions"
                + " was reached", live, l -> l.decisions().overflowed());
        counter("portcullis.agent.records.unreadable", "bus records skipped because they could not be read",
                live, LiveSet::unreadable);
        gauge("portcullis.agent.verdicts.active", "verdict subjects held", live, l -> l.verdicts().size());
        counter("portcullis.agent.verdicts.read", "verdict records read", live, LiveSet::verdictsRead);
        counter("portcullis.agent.verdicts.overflowed", "verdict subjects not held because portcullis.agent"
                + ".max-verdicts was reached", live, l -> l.verdicts().overflowed());
        gauge("portcullis.agent.replay.lag", "decision records still to read before the initial replay is complete"
                + " (-1: not known yet)", reader, r -> r.replayLag(config.decisionsTopic()));
        gauge("portcullis.agent.replayed", "1 once the initial replay of the decisions is complete", reader,
                r -> r.isReplayed(config.decisionsTopic()) ? 1 : 0);
        if (nft != null) {
            gauge("portcullis.agent.nft.elements", "elements the agent holds in its nftables sets", nft,
                    NftSync::elements);
            gauge("portcullis.agent.nft.pending", "networks waiting for the next nft batch", nft, NftSync::pending);
            counter("portcullis.agent.nft.batches", "incremental nft transactions applied", nft, NftSync::batches);
            counter("portcullis.agent.nft.full.syncs", "full replacements of the nft table", nft, NftSync::fullSyncs);
            counter("portcullis.agent.nft.failures", "nft runs that failed (each followed by a full sync)", nft,
                    NftSync::failures);
            counter("portcullis.agent.nft.changes", "element changes applied", nft, NftSync::changesApplied);
            gauge("portcullis.agent.nft.last.apply.seconds", "how long the last nft run took", nft,
                    n -> n.lastApply().toNanos() / 1e9);
        }
        if (export != null) {
            gauge("portcullis.agent.export.entries", "lines in the cidr table", export, CidrExport::entries);
            counter("portcullis.agent.export.writes", "times the cidr table was replaced", export, CidrExport::writes);
            counter("portcullis.agent.export.failures", "failed attempts to write the cidr table", export,
                    CidrExport::failures);
        }
        if (policy != null) {
            gauge("portcullis.agent.policy.connections.active", "open policy connections", policy,
                    PolicyServer::activeConnections);
            counter("portcullis.agent.policy.connections", "policy connections accepted or refused", policy,
                    PolicyServer::connections);
            counter("portcullis.agent.policy.lines.skipped", "request lines skipped: over max-line or not name=value",
                    policy, PolicyServer::skippedLines);
            for (PolicyServer.Refusal r : PolicyServer.Refusal.values()) {
                FunctionCounter.builder("portcullis.agent.policy.refused", policy, p -> p.refused(r))
                        .description("policy connections closed by the server, by reason")
                        .tag("reason", r.name().toLowerCase()).register(registry);
            }
            for (PolicyResponder.Outcome o : PolicyResponder.Outcome.values()) {
                FunctionCounter.builder("portcullis.agent.policy.replies", policy, p -> p.replies(o))
                        .description("policy replies, by what decided them")
                        .tag("outcome", o.name().toLowerCase()).register(registry);
            }
        }
    }

    private <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> f) {
        Gauge.builder(name, obj, f).description(description).register(registry);
    }

    private <T> void counter(String name, String description, T obj, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, obj, f).description(description).register(registry);
    }

    private static void check(String key, String action) {
        String problem = PolicyResponder.checkAction(action);
        if (problem != null) {
            throw bad(key, action, problem);
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw bad(key, String.valueOf(value), "must be at least 1");
        }
    }

    private static void positive(String key, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw bad(key, value.toString(), "must be a positive duration");
        }
    }

    private static void port(String key, int value) {
        if (value < 1 || value > 65535) {
            throw bad(key, String.valueOf(value), "not a TCP port (1-65535)");
        }
    }

    static IllegalArgumentException bad(String key, String value, String problem) {
        return new IllegalArgumentException(key + " = " + Untrusted.printable(value == null ? "" : value, 80) + ": "
                + problem);
    }

    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "agent";
        }
    }

    // ------------------------------------------------------------------ for health and tests

    public String id() {
        return id;
    }

    public LiveSet live() {
        return live;
    }

    public BusReader reader() {
        return reader;
    }

    /** The topic whose replay makes the agent ready. */
    public String decisionsTopic() {
        return config.decisionsTopic();
    }

    public Optional<NftSync> nft() {
        return Optional.ofNullable(nft);
    }

    public Optional<CidrExport> export() {
        return Optional.ofNullable(export);
    }

    public Optional<PolicyServer> policy() {
        return Optional.ofNullable(policy);
    }
}
