package dev.portcullis.content;

import dev.portcullis.content.check.Action;
import dev.portcullis.content.check.ActionKind;
import dev.portcullis.content.check.Inspector;
import dev.portcullis.content.check.Verdict;
import dev.portcullis.content.config.ContentSettings;
import dev.portcullis.content.rules.RuleBook;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks messages against the rules in force, logs what fired the way cleanup(8) logs it,
 * counts it ({@code portcullis_content_*}), and reloads changed tables on a timer.
 */
@ApplicationScoped
public class ContentService {

    private static final Logger LOG = Logger.getLogger("dev.portcullis.content.cleanup");

    @Inject
    ContentSettings settings;
    @Inject
    RuleBook rules;
    @Inject
    MeterRegistry registry;

    private Inspector inspector;
    private Timer latency;
    private final Map<Verdict.Decision, Counter> decisions = new EnumMap<>(Verdict.Decision.class);
    private final Map<ActionKind, Counter> actions = new EnumMap<>(ActionKind.class);
    private final AtomicLong skippedLines = new AtomicLong();
    private final AtomicLong truncatedHeaders = new AtomicLong();
    private final AtomicLong droppedEdits = new AtomicLong();
    private final AtomicLong mimeErrors = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private ScheduledExecutorService reloader;

    void onStart(@Observes StartupEvent ev) {
        inspector = new Inspector(settings.limits());
        latency = Timer.builder("portcullis_content_check_seconds").description("time to inspect one message")
                .publishPercentiles(0.5, 0.99).register(registry);
        for (Verdict.Decision d : Verdict.Decision.values()) {
            decisions.put(d, Counter.builder("portcullis_content_messages").tag("decision", d.name())
                    .description("messages checked").register(registry));
        }
        for (ActionKind k : ActionKind.values()) {
            actions.put(k, Counter.builder("portcullis_content_actions").tag("action", k.name())
                    .description("table actions fired").register(registry));
        }
        FunctionCounter.builder("portcullis_content_bytes", bytes, AtomicLong::get)
                .description("message bytes checked").register(registry);
        FunctionCounter.builder("portcullis_content_skipped", skippedLines, AtomicLong::get).tag("what", "body_line")
                .description("body lines past body_checks_size_limit, not inspected").register(registry);
        FunctionCounter.builder("portcullis_content_skipped", truncatedHeaders, AtomicLong::get).tag("what", "header_tail")
                .description("headers looked up cut at header_size_limit").register(registry);
        FunctionCounter.builder("portcullis_content_skipped", droppedEdits, AtomicLong::get).tag("what", "edit")
                .description("rewrites that could not be placed in the message").register(registry);
        FunctionCounter.builder("portcullis_content_mime_errors", mimeErrors, AtomicLong::get)
                .description("MIME structure problems recovered from").register(registry);
        Gauge.builder("portcullis_content_reload_errors", rules, RuleBook::errorCount)
                .description("tables whose newest version did not load (the last good one is in force)")
                .register(registry);
        long every = settings.reloadInterval().toMillis();
        if (every > 0) {
            reloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "content-filter-reload");
                t.setDaemon(true);
                return t;
            });
            reloader.scheduleWithFixedDelay(this::reloadQuietly, every, every, TimeUnit.MILLISECONDS);
        }
        rules.status().tables().forEach(t -> LOG.infof("loaded %s (%d rules) for %s", t.name(), t.rules(),
                String.join(", ", t.usedBy())));
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }

    private void reloadQuietly() {
        try {
            rules.reload();
        } catch (RuntimeException e) {
            LOG.error("table reload failed", e);
        }
    }

    /**
     * Inspects one message.
     *
     * @param message  the DATA content
     * @param envelope for the log lines only
     */
    public Verdict check(byte[] message, Envelope envelope) {
        long start = System.nanoTime();
        Verdict v = inspector.inspect(message, rules.rules());
        latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        bytes.addAndGet(message.length);
        decisions.get(v.decision()).increment();
        skippedLines.addAndGet(v.stats().bodyLinesSkipped());
        truncatedHeaders.addAndGet(v.stats().headersTruncated());
        droppedEdits.addAndGet(v.stats().editsDropped());
        mimeErrors.addAndGet(v.stats().mimeErrors());
        for (Verdict.Fired f : v.actions()) {
            actions.get(f.action()).increment();
            log(f, envelope);
        }
        return v;
    }

    /** A line like cleanup(8)'s: "reject: header Subject: x from host[ip]; from=<s> to=<r> ...: text". */
    private static void log(Verdict.Fired f, Envelope env) {
        if (f.action() == ActionKind.DUNNO) {
            return;
        }
        String where = f.checks().equals("body_checks") ? "body" : "header";
        String context = " from " + env.clientText() + "; from=<" + env.senderText() + "> to=<" + env.firstRecipient()
                + ">" + (env.helo() == null ? "" : " helo=<" + env.helo() + ">");
        if (f.warning() != null) {
            LOG.warnf("%s (rule %s)", f.warning(), f.rule());
            return;
        }
        if (f.action() == ActionKind.IGNORE) {
            return;
        }
        String text = f.action() == ActionKind.REJECT
                ? ": " + Action.parse("REJECT " + f.text(), true).reply().status() + " "
                + Action.parse("REJECT " + f.text(), true).reply().text()
                : f.text() == null || f.text().isEmpty() ? "" : ": " + f.text();
        String line = f.action().name().toLowerCase(java.util.Locale.ROOT) + ": " + where + " " + f.line() + context + text;
        if (f.action() == ActionKind.WARN) {
            LOG.warn(line);
        } else {
            LOG.info(line);
        }
    }

    /**
     * The envelope of a checked message, as far as the log lines need it. Values are already
     * checked to be printable and short.
     */
    public record Envelope(String sender, List<String> recipients, String client, String helo) {
        public Envelope {
            recipients = List.copyOf(recipients);
        }

        String senderText() {
            return sender == null ? "" : sender;
        }

        String firstRecipient() {
            return recipients.isEmpty() ? "" : recipients.get(0);
        }

        String clientText() {
            return client == null ? "unknown" : "unknown[" + client + "]";
        }
    }
}
