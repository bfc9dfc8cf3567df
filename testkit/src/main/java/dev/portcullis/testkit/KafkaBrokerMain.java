package dev.portcullis.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * Runs one real single-node Kafka broker (KRaft, combined broker + controller) in the foreground of this
 * JVM, on loopback. Used as the child process of {@link KafkaBroker} and by {@code bin/portcullis}.
 *
 * <pre>
 * java -Dslf4j.provider=dev.portcullis.testkit.KafkaBrokerMain$LogProvider -cp CLASSPATH \
 *      dev.portcullis.testkit.KafkaBrokerMain --port 9092 --controller-port 9093 --data-dir run/kafka \
 *      [--host 127.0.0.1] [--topic NAME:PARTITIONS[:compact|:delete]]... [--set KEY=VALUE]... \
 *      [--ready-timeout SECONDS] [--exit-with-parent]
 * </pre>
 *
 * The data dir holds {@code server.properties} (rewritten at each start) and the log dirs under {@code data/};
 * storage is formatted on first start only, so a restart on the same data dir keeps every record. Once the
 * broker answers an Admin {@code describeCluster} and the requested topics exist, one line
 * {@code READY host:port} goes to stdout. SIGTERM shuts the broker down cleanly (Kafka's own hook).
 * Logs go to stdout through {@link LogProvider} (select it with {@code -Dslf4j.provider}); the caller
 * redirects stdout to a file.
 */
public final class KafkaBrokerMain {

    /** Printed, followed by {@code host:port}, once the broker serves requests. */
    public static final String READY = "READY";
    /** Printed, followed by a reason, when the broker did not become ready. */
    public static final String FAILED = "FAILED";
    /** The system property that selects {@link LogProvider} in the child JVM. */
    public static final String SLF4J_PROVIDER_PROPERTY = "slf4j.provider";

    private KafkaBrokerMain() {
    }

    /** Parsed command line. */
    record Options(String host, int port, int controllerPort, Path dataDir, Map<String, String> overrides,
            List<String> topics, Duration readyTimeout, boolean exitWithParent) {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("KafkaBrokerMain: " + e.getMessage());
            System.err.println("usage: KafkaBrokerMain --port N --controller-port N --data-dir DIR [--host H]"
                    + " [--topic NAME:PARTITIONS[:compact|:delete]]... [--set KEY=VALUE]... [--ready-timeout S]"
                    + " [--exit-with-parent]");
            System.exit(64);
            return;
        }
        if (o.exitWithParent()) {
            // The test JVM that started us died without running its shutdown hooks (kill -9): go with it.
            ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        }
        Path props = prepare(o);
        Thread ready = new Thread(() -> awaitReady(o), "portcullis-ready-check");
        ready.setDaemon(true);
        ready.start();
        kafka.Kafka.main(new String[] {props.toString()});
    }

    static Options parse(String[] args) {
        String host = "127.0.0.1";
        int port = -1;
        int controllerPort = -1;
        Path dataDir = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        List<String> topics = new ArrayList<>();
        Duration readyTimeout = Duration.ofSeconds(120);
        boolean exitWithParent = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--host" -> host = value(args, ++i, a);
                case "--port" -> port = intValue(args, ++i, a);
                case "--controller-port" -> controllerPort = intValue(args, ++i, a);
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, a)).toAbsolutePath();
                case "--topic" -> topics.add(value(args, ++i, a));
                case "--ready-timeout" -> readyTimeout = Duration.ofSeconds(intValue(args, ++i, a));
                case "--exit-with-parent" -> exitWithParent = true;
                case "--set" -> {
                    String kv = value(args, ++i, a);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--set wants KEY=VALUE, got '" + kv + "'");
                    }
                    overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("--port is required (1-65535)");
        }
        if (controllerPort <= 0 || controllerPort > 65535 || controllerPort == port) {
            throw new IllegalArgumentException("--controller-port is required (1-65535, not the broker port)");
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("--data-dir is required");
        }
        for (String t : topics) {
            parseTopic(t);
        }
        return new Options(host, port, controllerPort, dataDir, overrides, topics, readyTimeout, exitWithParent);
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }

    private static int intValue(String[] args, int i, String name) {
        try {
            return Integer.parseInt(value(args, i, name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " wants a number, got '" + args[i] + "'");
        }
    }

    /** {@code NAME:PARTITIONS[:compact|:delete]} to a topic to create. */
    static NewTopic parseTopic(String spec) {
        String[] parts = spec.split(":");
        if (parts.length < 2 || parts.length > 3 || parts[0].isBlank()) {
            throw new IllegalArgumentException("--topic wants NAME:PARTITIONS[:compact|:delete], got '" + spec + "'");
        }
        int partitions;
        try {
            partitions = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--topic partitions must be a number in '" + spec + "'");
        }
        String policy = parts.length == 3 ? parts[2] : "delete";
        if (!policy.equals("compact") && !policy.equals("delete")) {
            throw new IllegalArgumentException("--topic cleanup policy must be compact or delete in '" + spec + "'");
        }
        return KafkaBroker.newTopic(parts[0], partitions, policy.equals("compact"));
    }

    /** The broker configuration: a KRaft combined node on loopback, with sizes fit for one machine. */
    static Properties brokerProperties(Options o) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + o.host() + ":" + o.controllerPort());
        p.setProperty("listeners", "PLAINTEXT://" + o.host() + ":" + o.port() + ",CONTROLLER://" + o.host() + ":"
                + o.controllerPort());
        p.setProperty("advertised.listeners", "PLAINTEXT://" + o.host() + ":" + o.port());
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", o.dataDir().resolve("data").toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "5");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "5");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // A killed broker's registration blocks its successor (DUPLICATE_BROKER_REGISTRATION) until the old
        // session expires: keep that short (default 9 s) so a restart after a crash is quick.
        p.setProperty("broker.heartbeat.interval.ms", "500");
        p.setProperty("broker.session.timeout.ms", "3000");
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "4");
        p.setProperty("num.recovery.threads.per.data.dir", "1");
        p.setProperty("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        p.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        p.setProperty("auto.create.topics.enable", "true");
        p.setProperty("delete.topic.enable", "true");
        o.overrides().forEach(p::setProperty);
        return p;
    }

    /** Writes server.properties and formats the storage on the first start. */
    static Path prepare(Options o) throws IOException {
        Files.createDirectories(o.dataDir());
        Properties p = brokerProperties(o);
        Path props = o.dataDir().resolve("server.properties");
        try (var out = Files.newBufferedWriter(props, StandardCharsets.UTF_8)) {
            p.store(out, "written by dev.portcullis.testkit.KafkaBrokerMain at each start");
        }
        Path logDir = Path.of(p.getProperty("log.dirs").split(",")[0].trim());
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int rc;
            try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
                rc = kafka.tools.StorageTool.execute(
                        new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", props.toString()}, ps);
            }
            String out = buf.toString(StandardCharsets.UTF_8).trim();
            System.out.println("storage format: " + out);
            if (rc != 0) {
                throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed (" + rc + "): " + out);
            }
        }
        return props;
    }

    private static void awaitReady(Options o) {
        String address = o.host() + ":" + o.port();
        long deadline = System.nanoTime() + o.readyTimeout().toNanos();
        Properties cfg = new Properties();
        cfg.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, address);
        cfg.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "portcullis-ready-check");
        cfg.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        cfg.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        cfg.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        cfg.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        cfg.setProperty(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        cfg.setProperty(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "200");
        // Wait for the listener first, so the Admin client does not fill the log with connection warnings.
        while (!accepts(o.host(), o.port()) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        try (Admin admin = Admin.create(cfg)) {
            Exception last = null;
            while (System.nanoTime() < deadline) {
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    last = null;
                    break;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = e;
                }
            }
            if (last != null || System.nanoTime() >= deadline) {
                fail("broker at " + address + " did not answer describeCluster within " + o.readyTimeout()
                        + (last == null ? "" : ": " + last));
                return;
            }
            if (!o.topics().isEmpty()) {
                List<NewTopic> wanted = o.topics().stream().map(KafkaBrokerMain::parseTopic).toList();
                var result = admin.createTopics(wanted);
                for (var e : result.values().entrySet()) {
                    try {
                        e.getValue().get(30, TimeUnit.SECONDS);
                        System.out.println("created topic " + e.getKey());
                    } catch (ExecutionException ex) {
                        if (!(ex.getCause() instanceof TopicExistsException)) {
                            fail("creating topic " + e.getKey() + " failed: " + ex.getCause());
                            return;
                        }
                    }
                }
            }
            System.out.println(READY + " " + address);
            System.out.flush();
        } catch (Exception e) {
            fail("ready check failed: " + e);
        }
    }

    private static boolean accepts(String host, int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void fail(String why) {
        System.out.println(FAILED + " " + why);
        System.out.flush();
        Runtime.getRuntime().halt(2);
    }

    // ---------------------------------------------------------------------------------------------
    // Logging for the child JVM. Kafka 4.0 logs through SLF4J (its log4j2 Log4jController is only
    // needed for the dynamic log-level admin API). The test class path carries Quarkus' JBoss
    // LogManager binding, whose Quarkus configurator buffers and drops records outside a Quarkus app,
    // so the child picks this small provider explicitly with -Dslf4j.provider: one line per record to
    // stdout, which the parent sends to a file. Level: -Dportcullis.kafka.log.level (default INFO),
    // per logger prefix: -Dportcullis.kafka.log.level.<prefix>=WARN.
    // ---------------------------------------------------------------------------------------------

    /** SLF4J 2 provider for the child JVM; never registered as a service, so test JVMs never see it. */
    public static final class LogProvider implements SLF4JServiceProvider {
        private final ILoggerFactory factory = new LogFactory();
        private final IMarkerFactory markers = new BasicMarkerFactory();
        private final MDCAdapter mdc = new BasicMDCAdapter();

        @Override
        public ILoggerFactory getLoggerFactory() {
            return factory;
        }

        @Override
        public IMarkerFactory getMarkerFactory() {
            return markers;
        }

        @Override
        public MDCAdapter getMDCAdapter() {
            return mdc;
        }

        @Override
        public String getRequestedApiVersion() {
            return "2.0.99";
        }

        @Override
        public void initialize() {
        }
    }

    static final class LogFactory implements ILoggerFactory {
        private final Map<String, org.slf4j.Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public org.slf4j.Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, n -> new LineLogger(n, levelFor(n)));
        }

        static int levelFor(String name) {
            String best = System.getProperty("portcullis.kafka.log.level", "INFO");
            int bestLen = -1;
            String prefix = "portcullis.kafka.log.level.";
            for (String key : System.getProperties().stringPropertyNames()) {
                if (key.startsWith(prefix)) {
                    String p = key.substring(prefix.length());
                    if ((name.equals(p) || name.startsWith(p + ".")) && p.length() > bestLen) {
                        best = System.getProperty(key);
                        bestLen = p.length();
                    }
                }
            }
            try {
                return Level.valueOf(best.trim().toUpperCase(Locale.ROOT)).toInt();
            } catch (IllegalArgumentException e) {
                return Level.INFO.toInt();
            }
        }
    }

    static final class LineLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
        private final int threshold;

        LineLogger(String name, int threshold) {
            this.name = name;
            this.threshold = threshold;
        }

        @Override
        public boolean isTraceEnabled() {
            return threshold <= Level.TRACE.toInt();
        }

        @Override
        public boolean isDebugEnabled() {
            return threshold <= Level.DEBUG.toInt();
        }

        @Override
        public boolean isInfoEnabled() {
            return threshold <= Level.INFO.toInt();
        }

        @Override
        public boolean isWarnEnabled() {
            return threshold <= Level.WARN.toInt();
        }

        @Override
        public boolean isErrorEnabled() {
            return threshold <= Level.ERROR.toInt();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                Throwable throwable) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(TIME.format(Instant.now())).append(' ');
            sb.append(String.format("%-5s", level)).append(" [").append(name).append("] (")
                    .append(Thread.currentThread().getName()).append(") ");
            sb.append(MessageFormatter.basicArrayFormat(pattern, arguments));
            if (throwable != null) {
                StringWriter w = new StringWriter();
                throwable.printStackTrace(new PrintWriter(w));
                sb.append(System.lineSeparator()).append(w.toString().stripTrailing());
            }
            String line = sb.toString();
            synchronized (System.out) {
                System.out.println(line);
            }
        }
    }
}
