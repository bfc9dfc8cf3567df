package dev.portcullis.testkit;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) in a child JVM on 127.0.0.1, for tests
 * that need a broker which can vanish and come back.
 *
 * <pre>
 * try (KafkaBroker kafka = KafkaBroker.create().start()) {
 *     kafka.createTopic("t", 3, false);
 *     ... kafka.bootstrapServers() ...
 *     kafka.stop();     // killed (SIGKILL), data kept: the broker vanishes
 *     kafka.restart();  // same port, same data: it comes back
 * }                     // killed, temp dir deleted, port free
 * </pre>
 *
 * The child runs {@link KafkaBrokerMain} (format storage once, then {@code kafka.Kafka server.properties}) with the
 * class path of this JVM ({@code java.class.path}, expanded from a manifest-only jar when surefire uses one), or
 * with the one given to {@link Builder#classpath(String)} or the system property {@value #CLASSPATH_PROPERTY}.
 * Its logs (and its stdout/stderr) go to {@link #logFile()} in the broker's temp dir; nothing reaches the test's
 * stdout. A JVM shutdown hook kills the child, and the child exits by itself if this JVM dies without running hooks.
 *
 * <p>{@link #shared()} is one broker per JVM, started lazily and closed at JVM exit; it is shared across class
 * loaders too (a {@code @QuarkusTest} and a plain JUnit test in the same JVM see the same broker), through a
 * platform MBean.
 */
public final class KafkaBroker implements AutoCloseable {

    /** System property with an explicit class path for the child JVM. */
    public static final String CLASSPATH_PROPERTY = "portcullis.kafka.classpath";
    /** System property with extra JVM options for the child (space-separated). */
    public static final String JVM_OPTIONS_PROPERTY = "portcullis.kafka.jvm-options";
    /** The platform MBean through which every class loader finds the shared broker. */
    public static final String SHARED_MBEAN = "dev.portcullis.testkit:type=KafkaBroker,name=shared";

    private static final String HOST = "127.0.0.1";
    private static final String SHARED_LOCK = "dev.portcullis.testkit.KafkaBroker.shared.lock";

    private final Builder config;
    /** Set when this object only fronts the shared broker owned by another class loader. */
    private final ObjectName remote;
    private final boolean shared;

    private Path home;
    private boolean ownsHome;
    private int port;
    private int controllerPort;
    private Process process;
    private Thread shutdownHook;
    private Duration lastStartDuration;
    private boolean closed;

    private KafkaBroker(Builder config, boolean shared) {
        this.config = config;
        this.remote = null;
        this.shared = shared;
        this.port = config.port;
        this.controllerPort = config.controllerPort;
        this.home = config.home;
    }

    private KafkaBroker(ObjectName remote) {
        this.config = new Builder();
        this.remote = remote;
        this.shared = true;
    }

    /** A broker with a fresh temp dir and free ports, not started yet. */
    public static KafkaBroker create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JVM-wide broker: started on first use, closed by a shutdown hook at JVM exit. Tests may
     * {@link #stop()} and {@link #restart()} it (and should leave it running); {@link #close()} on it does nothing.
     */
    public static KafkaBroker shared() {
        synchronized (SHARED_LOCK.intern()) { // one lock object per JVM whichever class loader runs this
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = sharedName();
            if (mbs.isRegistered(name)) {
                try {
                    Object self = mbs.getAttribute(name, "Self");
                    if (self instanceof KafkaBroker kb) {
                        return kb;
                    }
                } catch (JMException e) {
                    throw new IllegalStateException("reading the shared Kafka broker MBean failed", e);
                }
                return new KafkaBroker(name);
            }
            KafkaBroker broker = new KafkaBroker(new Builder(), true);
            broker.start();
            try {
                mbs.registerMBean(new StandardMBean(broker.new Control(), SharedControl.class), name);
            } catch (JMException e) {
                broker.closeNow();
                throw new IllegalStateException("registering the shared Kafka broker MBean failed", e);
            }
            return broker;
        }
    }

    private static ObjectName sharedName() {
        try {
            return new ObjectName(SHARED_MBEAN);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts the child JVM and blocks until the broker answers {@code describeCluster} (or the start timeout
     * passes: then the child is killed and the exception carries the tail of its log).
     */
    public synchronized KafkaBroker start() {
        if (remote != null) {
            invokeRemote("start");
            return this;
        }
        if (closed) {
            throw new IllegalStateException("this Kafka broker is closed");
        }
        if (isRunning()) {
            return this;
        }
        long t0 = System.nanoTime();
        try {
            if (home == null) {
                home = Files.createTempDirectory("portcullis-kafka-");
                ownsHome = true;
            }
            Files.createDirectories(home);
            if (port == 0) {
                port = freePort(-1);
            }
            if (controllerPort == 0) {
                controllerPort = freePort(port);
            }
            if (shutdownHook == null) {
                shutdownHook = new Thread(this::closeNow, "portcullis-kafka-shutdown");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
            Path log = logFile();
            long logOffset = Files.exists(log) ? Files.size(log) : 0L;
            Path argFile = home.resolve("java.args");
            Files.writeString(argFile, "-cp " + quoteArg(childClasspath()) + System.lineSeparator(),
                    StandardCharsets.UTF_8);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(config.jvmOptions);
            String extra = System.getProperty(JVM_OPTIONS_PROPERTY, "").trim();
            if (!extra.isEmpty()) {
                cmd.addAll(List.of(extra.split("\\s+")));
            }
            cmd.add("-D" + KafkaBrokerMain.SLF4J_PROVIDER_PROPERTY + "=" + KafkaBrokerMain.LogProvider.class.getName());
            cmd.add("-Dportcullis.kafka.log.level=" + config.logLevel);
            cmd.add("@" + argFile);
            cmd.add(KafkaBrokerMain.class.getName());
            cmd.addAll(List.of("--host", HOST, "--port", String.valueOf(port), "--controller-port",
                    String.valueOf(controllerPort), "--data-dir", home.resolve("kafka").toString(),
                    "--ready-timeout", String.valueOf(config.startTimeout.toSeconds()), "--exit-with-parent"));
            config.brokerProperties.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            process = pb.start();
            awaitReadyLine(log, logOffset, t0 + config.startTimeout.toNanos());
            describeCluster(Duration.ofSeconds(10));
            lastStartDuration = Duration.ofNanos(System.nanoTime() - t0);
            return this;
        } catch (IOException e) {
            killProcess();
            throw new UncheckedIOException("starting the Kafka broker failed", e);
        } catch (RuntimeException e) {
            killProcess();
            throw e;
        }
    }

    private void awaitReadyLine(Path log, long offset, long deadline) throws IOException {
        String ready = KafkaBrokerMain.READY + " " + HOST + ":" + port;
        while (true) {
            String text = readFrom(log, offset);
            if (text.contains(ready)) {
                return;
            }
            int failed = text.indexOf(KafkaBrokerMain.FAILED + " ");
            if (failed >= 0 || !process.isAlive()) {
                throw new IllegalStateException("Kafka broker on " + HOST + ":" + port + " did not start"
                        + (process.isAlive() ? "" : " (child exited with " + exitCode() + ")")
                        + "; last lines of " + log + ":\n" + logTail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka broker on " + HOST + ":" + port + " not ready within "
                        + config.startTimeout + "; last lines of " + log + ":\n" + logTail(40));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(25));
        }
    }

    private String exitCode() {
        try {
            return String.valueOf(process.exitValue());
        } catch (IllegalThreadStateException e) {
            return "?";
        }
    }

    private static String readFrom(Path file, long offset) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            if (len <= offset) {
                return "";
            }
            byte[] buf = new byte[(int) Math.min(len - offset, 16 * 1024 * 1024)];
            raf.seek(offset);
            raf.readFully(buf);
            return new String(buf, StandardCharsets.UTF_8);
        }
    }

    private void describeCluster(Duration timeout) {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka broker on " + bootstrapServers() + " printed READY but does not"
                    + " answer describeCluster: " + e + "\nlast lines of its log:\n" + logTail(40), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** {@code 127.0.0.1:PORT}; the port is fixed at the first start and kept across restarts. */
    public String bootstrapServers() {
        if (remote != null) {
            return (String) getRemote("BootstrapServers");
        }
        synchronized (this) {
            if (port == 0) {
                throw new IllegalStateException("the Kafka broker has not been started yet");
            }
            return HOST + ":" + port;
        }
    }

    public int port() {
        String bs = bootstrapServers();
        return Integer.parseInt(bs.substring(bs.lastIndexOf(':') + 1));
    }

    public boolean isRunning() {
        if (remote != null) {
            return (Boolean) getRemote("Running");
        }
        synchronized (this) {
            return process != null && process.isAlive();
        }
    }

    /** The child's process id, while it runs. */
    public long pid() {
        if (remote != null) {
            return (Long) getRemote("Pid");
        }
        synchronized (this) {
            return process != null && process.isAlive() ? process.pid() : -1;
        }
    }

    /** Kills the broker (SIGKILL, like a crash or a vanished pod); its data dir stays for {@link #restart()}. */
    public void stop() {
        if (remote != null) {
            invokeRemote("stop");
            return;
        }
        synchronized (this) {
            killProcess();
        }
    }

    /** Stops the broker cleanly (SIGTERM, Kafka's controlled shutdown), killing it after {@code timeout}. */
    public void stopGracefully(Duration timeout) {
        if (remote != null) {
            invokeRemote("stopGracefully");
            return;
        }
        synchronized (this) {
            if (process == null) {
                return;
            }
            process.destroy();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    killProcess();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                killProcess();
            }
            process = null;
        }
    }

    /** Kills the broker if it runs, then starts it again on the same port and the same data. */
    public KafkaBroker restart() {
        if (remote != null) {
            invokeRemote("restart");
            return this;
        }
        synchronized (this) {
            killProcess();
            return start();
        }
    }

    /** Creates a topic (replication factor 1); an existing topic of that name is left as it is. */
    public void createTopic(String name, int partitions, boolean compacted) {
        createTopic(newTopic(name, partitions, compacted));
    }

    /**
     * Creates a topic and returns once it can be used: the creation is acknowledged before every
     * part of the broker knows the topic, and a describe or produce right after it can still get
     * UnknownTopicOrPartition on a busy host (seen in CI), so this waits until the topic's
     * partitions have a leader and its configuration can be read.
     */
    public void createTopic(NewTopic topic) {
        try (Admin admin = admin()) {
            try {
                admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("creating topic " + topic.name() + " failed", e.getCause());
                }
            }
            awaitUsable(admin, topic.name());
        } catch (ExecutionException e) {
            throw new IllegalStateException("topic " + topic.name() + " not usable", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("creating topic " + topic.name() + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void awaitUsable(Admin admin, String name)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                org.apache.kafka.clients.admin.TopicDescription d = admin.describeTopics(List.of(name))
                        .allTopicNames().get(10, TimeUnit.SECONDS).get(name);
                boolean led = d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, name))).all().get(10, TimeUnit.SECONDS);
                if (led) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + name + " have no leader after 30 s");
            }
            Thread.sleep(50); // polling the broker's metadata: there is no notification to wait on
        }
    }

    /** A topic definition with replication factor 1 and cleanup.policy compact or delete. */
    public static NewTopic newTopic(String name, int partitions, boolean compacted) {
        return new NewTopic(name, partitions, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE));
    }

    /** An Admin client for this broker with short timeouts; the caller closes it. */
    public Admin admin() {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "portcullis-testkit-admin");
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(p);
    }

    /** The broker's temp dir (server.properties, data, logs). */
    public Path home() {
        if (remote != null) {
            return Path.of((String) getRemote("Home"));
        }
        synchronized (this) {
            return home;
        }
    }

    /** The child's stdout, stderr and Kafka log, in one file. */
    public Path logFile() {
        return home().resolve("broker.log");
    }

    /** The last {@code lines} lines of {@link #logFile()} (for failure messages). */
    public String logTail(int lines) {
        Path log = logFile();
        try (Stream<String> s = Files.lines(log, StandardCharsets.UTF_8)) {
            Deque<String> tail = new ArrayDeque<>(lines);
            s.forEach(l -> {
                if (tail.size() == lines) {
                    tail.removeFirst();
                }
                tail.addLast(l);
            });
            return String.join("\n", tail);
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** How long the last {@link #start()} or {@link #restart()} took until the broker answered. */
    public Duration lastStartDuration() {
        if (remote != null) {
            return Duration.ofMillis((Long) getRemote("LastStartMillis"));
        }
        synchronized (this) {
            return lastStartDuration;
        }
    }

    /** Kills the broker and deletes its temp dir; the port is free afterwards. No-op on {@link #shared()}. */
    @Override
    public void close() {
        if (shared) {
            return;
        }
        closeNow();
        synchronized (this) {
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // JVM shutting down: the hook runs (or ran) closeNow anyway
                }
                shutdownHook = null;
            }
        }
    }

    private synchronized void closeNow() {
        closed = true;
        killProcess();
        if (ownsHome && home != null) {
            deleteTree(home);
        }
    }

    private void killProcess() {
        Process p = process;
        process = null;
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Kafka broker process " + p.pid() + " did not die after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temp dir left behind is not worth failing a test for
        }
    }

    /** A free TCP port on 127.0.0.1 (other than {@code not}). */
    static int freePort(int not) throws IOException {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                if (s.getLocalPort() != not) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IOException("no free port on " + HOST);
    }

    // --------------------------------------------------------------------------------- class path

    /** The class path for the child JVM: explicit, from the system property, or this JVM's own. */
    String childClasspath() {
        if (config.classpath != null) {
            return config.classpath;
        }
        String prop = System.getProperty(CLASSPATH_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return prop.trim();
        }
        return currentClasspath();
    }

    /**
     * This JVM's class path: {@code java.class.path} (surefire and {@code @QuarkusTest} both keep the real test class
     * path there), each manifest-only jar expanded to its {@code Class-Path}, plus the code sources of the classes
     * the child needs in case they were loaded from elsewhere.
     */
    public static String currentClasspath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank()) {
                addExpanded(Path.of(e).toAbsolutePath(), entries, 0);
            }
        }
        for (Class<?> c : new Class<?>[] {KafkaBrokerMain.class, kafka.Kafka.class, Admin.class,
                org.slf4j.LoggerFactory.class, scala.Option.class}) {
            String loc = codeSource(c);
            if (loc != null) {
                entries.add(loc);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void addExpanded(Path entry, Set<String> out, int depth) {
        if (!Files.exists(entry) || !out.add(entry.toString())) {
            return;
        }
        if (depth > 2 || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
            if (cp == null || cp.isBlank()) {
                return;
            }
            for (String ref : cp.trim().split("\\s+")) {
                try {
                    Path p = ref.startsWith("file:") ? Path.of(new java.net.URI(ref))
                            : entry.getParent().resolve(java.net.URLDecoder.decode(ref, StandardCharsets.UTF_8));
                    addExpanded(p.normalize(), out, depth + 1);
                } catch (URISyntaxException | IllegalArgumentException e) {
                    // not a path we can use
                }
            }
        } catch (IOException e) {
            // unreadable jar: keep it as it is
        }
    }

    private static String codeSource(Class<?> c) {
        try {
            CodeSource cs = c.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null || !"file".equals(cs.getLocation().getProtocol())) {
                return null;
            }
            Path p = Path.of(cs.getLocation().toURI());
            return Files.exists(p) ? p.toAbsolutePath().toString() : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** Quotes one argument for a java {@code @argfile}. */
    private static String quoteArg(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    // ------------------------------------------------------------------------ shared across loaders

    /** What other class loaders can do with the shared broker (JDK types only). */
    public interface SharedControl {
        Object getSelf();

        String getBootstrapServers();

        boolean isRunning();

        long getPid();

        String getHome();

        long getLastStartMillis();

        void start();

        void stop();

        void stopGracefully();

        void restart();
    }

    private final class Control implements SharedControl {
        @Override
        public Object getSelf() {
            return KafkaBroker.this;
        }

        @Override
        public String getBootstrapServers() {
            return bootstrapServers();
        }

        @Override
        public boolean isRunning() {
            return KafkaBroker.this.isRunning();
        }

        @Override
        public long getPid() {
            return pid();
        }

        @Override
        public String getHome() {
            return home().toString();
        }

        @Override
        public long getLastStartMillis() {
            Duration d = lastStartDuration();
            return d == null ? -1 : d.toMillis();
        }

        @Override
        public void start() {
            KafkaBroker.this.start();
        }

        @Override
        public void stop() {
            KafkaBroker.this.stop();
        }

        @Override
        public void stopGracefully() {
            KafkaBroker.this.stopGracefully(Duration.ofSeconds(30));
        }

        @Override
        public void restart() {
            KafkaBroker.this.restart();
        }
    }

    private Object getRemote(String attribute) {
        try {
            return ManagementFactory.getPlatformMBeanServer().getAttribute(remote, attribute);
        } catch (JMException e) {
            throw new IllegalStateException("shared Kafka broker: reading " + attribute + " failed", e);
        }
    }

    private void invokeRemote(String operation) {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(remote, operation, new Object[0], new String[0]);
        } catch (JMException e) {
            throw new IllegalStateException("shared Kafka broker: " + operation + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + (port == 0 && remote == null ? "not started" : bootstrapServers())
                + (shared ? ", shared" : "") + "]";
    }

    // ----------------------------------------------------------------------------------- builder

    /** Options for a {@link KafkaBroker}; every one has a default. */
    public static final class Builder {
        private int port;
        private int controllerPort;
        private Path home;
        private String classpath;
        private Duration startTimeout = Duration.ofSeconds(60);
        private String logLevel = "INFO";
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final List<String> jvmOptions = new ArrayList<>(List.of("-Xms64m", "-Xmx512m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Djava.awt.headless=true",
                "-Dfile.encoding=UTF-8"));

        private Builder() {
        }

        /** Broker port on 127.0.0.1 (default: a free one chosen at the first start). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** KRaft controller port (default: a free one chosen at the first start). */
        public Builder controllerPort(int port) {
            this.controllerPort = port;
            return this;
        }

        /** Directory for data and logs, kept on {@link KafkaBroker#close()} (default: a temp dir, deleted). */
        public Builder home(Path dir) {
            this.home = dir;
            return this;
        }

        /** Class path for the child JVM (default: see {@link KafkaBroker#childClasspath()}). */
        public Builder classpath(String classpath) {
            this.classpath = classpath;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Root log level of the child (default INFO). */
        public Builder logLevel(String level) {
            this.logLevel = level;
            return this;
        }

        /** A broker property (server.properties) on top of the defaults. */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(key, value);
            return this;
        }

        /** Replaces the child's JVM options (default: small heap, serial GC, C1 only). */
        public Builder jvmOptions(List<String> options) {
            jvmOptions.clear();
            jvmOptions.addAll(options);
            return this;
        }

        public KafkaBroker build() {
            return new KafkaBroker(this, false);
        }

        /** {@link #build()} then {@link KafkaBroker#start()}. */
        public KafkaBroker start() {
            return build().start();
        }
    }
}
