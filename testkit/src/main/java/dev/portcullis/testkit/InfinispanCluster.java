package dev.portcullis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.infinispan.Cache;
import org.infinispan.commons.api.CacheContainerAdmin;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfiguration;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.configuration.global.UncleanShutdownAction;
import org.infinispan.distribution.DistributionManager;
import org.infinispan.globalstate.ConfigurationStorage;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.infinispan.server.core.admin.embeddedserver.EmbeddedServerAdminOperationHandler;
import org.infinispan.server.hotrod.HotRodServer;
import org.infinispan.server.hotrod.configuration.HotRodServerConfigurationBuilder;
import org.infinispan.topology.CacheTopology;

/**
 * Real clustered Infinispan in this JVM, no Docker: N embedded cache managers (default 2) joined over JGroups TCP on
 * 127.0.0.1, each with a Hot Rod server on 127.0.0.1 without authentication, so a Hot Rod client (the Quarkus
 * {@code quarkus-infinispan-client}) sees what it would see with an Infinispan Server cluster.
 *
 * <pre>
 * try (InfinispanCluster ispn = InfinispanCluster.create().start()) {
 *     ispn.defineDistributedCache("counts", Duration.ofMinutes(10), null);  // DIST_SYNC, 2 owners, on every node
 *     ... quarkus.infinispan-client.hosts = ispn.hotRodServers() ...     // "127.0.0.1:p1;127.0.0.1:p2"
 *     ispn.stopNode(0);    // node 0 leaves the cluster: its data lives on in the other owners
 *     ispn.startNode(0);   // rejoins on the same ports and gets its share of the data back
 * }                        // every node stopped, every port free, temp dirs deleted
 * </pre>
 *
 * <p>JGroups: a TCP stack written out here (no multicast anywhere: TCPPING discovery with every member's address,
 * diagnostics off, {@code tcp_nodelay=true}), bound to 127.0.0.1 in the stack itself. Each node keeps its ports
 * (Hot Rod, JGroups, FD_SOCK2) for the cluster's life, so {@link #hotRodServers()} stays valid across
 * {@link #stopNode}/{@link #startNode}. Every method that changes membership returns only once every running node
 * sees every running member, every defined cache has finished rebalancing, and every Hot Rod server announces every
 * running server (or fails after {@link Builder#startTimeout}).
 *
 * <p>Each node runs with global state in a temp dir (OVERLAY storage, as a server has), so a Hot Rod client may
 * create caches too ({@code administration().getOrCreateCache}, which {@code quarkus.infinispan-client.cache.*
 * .configuration} does). Caches defined here are volatile cluster-wide definitions that a restarted node picks up.
 *
 * <p>{@link #shared()} is one cluster per JVM (2 nodes), started lazily and closed at JVM exit; it is created in the
 * system class loader when that loader can see this class (so it outlives any Quarkus class loader) and is reachable
 * from every class loader through a platform MBean.
 */
public final class InfinispanCluster implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    /** The platform MBean through which every class loader finds the shared cluster. */
    public static final String SHARED_MBEAN = "dev.portcullis.testkit:type=InfinispanCluster,name=shared";

    /**
     * System property: JUL level for the {@code org.infinispan} and {@code org.jgroups} loggers (default WARNING),
     * applied only where JUL is the JDK's own LogManager (plain JUnit tests); under Quarkus' LogManager the
     * application's logging config decides.
     */
    public static final String LOG_LEVEL_PROPERTY = "portcullis.infinispan.log-level";

    private static final String SHARED_LOCK = "dev.portcullis.testkit.InfinispanCluster.shared.lock";
    /** Strong references: JUL keeps loggers weakly, and a collected logger forgets its level. */
    private static final List<java.util.logging.Logger> QUIETED = new ArrayList<>();
    private static final String HOT_ROD_NAME = "hotrod";

    private final Builder config;
    private final ObjectName remote;
    private final boolean shared;
    private final List<Node> nodes = new ArrayList<>();
    /** Caches defined through this object, defined again on nodes that start later. */
    private final Map<String, Configuration> caches = new LinkedHashMap<>();
    private Path home;
    private Thread shutdownHook;
    private Duration lastStartDuration;
    private boolean closed;

    private InfinispanCluster(Builder config, boolean shared) {
        this.config = config;
        this.remote = null;
        this.shared = shared;
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < config.nodes; i++) {
            nodes.add(new Node(i, freePort(taken), freePort(taken), freePort(taken)));
        }
    }

    private InfinispanCluster(ObjectName remote) {
        this.config = new Builder();
        this.remote = remote;
        this.shared = true;
    }

    /** A 2-node cluster with free ports, not started yet. */
    public static InfinispanCluster create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JVM-wide 2-node cluster: started on first use, stopped by a shutdown hook at JVM exit. Tests may
     * {@link #stopNode} and {@link #startNode} (and should leave every node running); {@link #close()} on it does
     * nothing.
     */
    public static InfinispanCluster shared() {
        synchronized (SHARED_LOCK.intern()) { // one lock object per JVM whichever class loader runs this
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = sharedName();
            if (!mbs.isRegistered(name)) {
                Class<?> systemCopy = systemLoaderCopy();
                if (systemCopy != null) {
                    try {
                        systemCopy.getMethod("shared").invoke(null); // registers the MBean
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("starting the shared Infinispan cluster failed", e.getCause());
                    }
                } else {
                    InfinispanCluster cluster = new InfinispanCluster(new Builder(), true);
                    cluster.start();
                    try {
                        mbs.registerMBean(new StandardMBean(cluster.new Control(), SharedControl.class), name);
                    } catch (JMException e) {
                        cluster.closeNow();
                        throw new IllegalStateException("registering the shared Infinispan cluster MBean failed", e);
                    }
                    return cluster;
                }
            }
            try {
                if (mbs.getAttribute(name, "Self") instanceof InfinispanCluster own) {
                    return own;
                }
            } catch (JMException e) {
                throw new IllegalStateException("reading the shared Infinispan cluster MBean failed", e);
            }
            return new InfinispanCluster(name);
        }
    }

    /** This class as the system class loader sees it, when that is another copy than this one. */
    private static Class<?> systemLoaderCopy() {
        ClassLoader system = ClassLoader.getSystemClassLoader();
        if (InfinispanCluster.class.getClassLoader() == system) {
            return null;
        }
        try {
            Class<?> c = Class.forName(InfinispanCluster.class.getName(), true, system);
            return c == InfinispanCluster.class ? null : c;
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static ObjectName sharedName() {
        try {
            return new ObjectName(SHARED_MBEAN);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------ lifecycle

    /** Starts every node that is not running and waits until they form one cluster. */
    public synchronized InfinispanCluster start() {
        if (remote != null) {
            invokeRemote("start", new Object[0], new String[0]);
            return this;
        }
        checkOpen();
        long t0 = System.nanoTime();
        withOwnClassLoader(() -> {
            if (home == null) {
                home = Files.createTempDirectory("portcullis-infinispan-");
            }
            if (shutdownHook == null) {
                shutdownHook = new Thread(this::closeNow, "portcullis-infinispan-shutdown");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
            for (Node n : nodes) {
                if (!n.running()) {
                    startInternal(n);
                }
            }
            awaitStable();
            return null;
        });
        lastStartDuration = Duration.ofNanos(System.nanoTime() - t0);
        return this;
    }

    /** Starts node {@code i} again (same ports) and waits until it has rejoined and every cache has rebalanced. */
    public synchronized void startNode(int i) {
        if (remote != null) {
            invokeRemote("startNode", new Object[] {i}, new String[] {int.class.getName()});
            return;
        }
        checkOpen();
        Node n = node(i);
        if (n.running()) {
            return;
        }
        if (home == null) {
            start(); // never started: start them all
            return;
        }
        withOwnClassLoader(() -> {
            startInternal(n);
            awaitStable();
            return null;
        });
    }

    /**
     * Node {@code i} leaves the cluster (Hot Rod server stopped, cache manager stopped gracefully: a planned leave,
     * not a crash); returns once the remaining nodes have a view without it and have rebalanced. Data in caches
     * with more owners than stopped nodes survives on the others.
     */
    public synchronized void stopNode(int i) {
        if (remote != null) {
            invokeRemote("stopNode", new Object[] {i}, new String[] {int.class.getName()});
            return;
        }
        checkOpen();
        Node n = node(i);
        withOwnClassLoader(() -> {
            stopInternal(n);
            awaitStable();
            return null;
        });
    }

    /** Stops every node, frees every port and deletes the temp dirs. No-op on {@link #shared()}. */
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
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            try {
                withOwnClassLoader(() -> {
                    stopInternal(n);
                    return null;
                });
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (home != null) {
            deleteTree(home);
        }
        if (failure != null) {
            throw failure;
        }
    }

    // --------------------------------------------------------------------------------------- caches

    /** A DIST_SYNC cache with 2 owners and no expiration on every node (see {@link #defineDistributedCache(String, Duration, Duration)}). */
    public void defineDistributedCache(String name) {
        defineDistributedCache(name, null, null);
    }

    /**
     * Defines a distributed cache (DIST_SYNC, 2 owners, keys and values {@code application/x-protostream} as the Hot
     * Rod client's default marshaller writes them) on every node, nodes started later included, and waits until
     * every running node has it. {@code lifespan} and {@code maxIdle} may be null (no expiration). Defining an
     * existing name again with the same settings does nothing; with other settings it fails.
     */
    public void defineDistributedCache(String name, Duration lifespan, Duration maxIdle) {
        if (remote != null) {
            invokeRemote("defineDistributedCache", new Object[] {name, millis(lifespan), millis(maxIdle)},
                    new String[] {String.class.getName(), long.class.getName(), long.class.getName()});
            return;
        }
        ConfigurationBuilder b = new ConfigurationBuilder();
        b.clustering().cacheMode(CacheMode.DIST_SYNC).hash().numOwners(2);
        b.encoding().mediaType(MediaType.APPLICATION_PROTOSTREAM_TYPE);
        if (lifespan != null) {
            b.expiration().lifespan(lifespan.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (maxIdle != null) {
            b.expiration().maxIdle(maxIdle.toMillis(), TimeUnit.MILLISECONDS);
        }
        defineCache(name, b.build());
    }

    /** Defines a cache with any configuration on every node (same class loader only; see {@link #defineDistributedCache}). */
    public synchronized void defineCache(String name, Configuration configuration) {
        if (remote != null) {
            throw new UnsupportedOperationException("defineCache(Configuration) on the shared cluster from another"
                    + " class loader: use defineDistributedCache");
        }
        checkOpen();
        Configuration existing = caches.get(name);
        if (existing != null && !existing.matches(configuration)) {
            throw new IllegalArgumentException("cache " + name + " is already defined with other settings");
        }
        caches.put(name, configuration);
        withOwnClassLoader(() -> {
            Node first = nodes.stream().filter(Node::running).findFirst().orElse(null);
            if (first != null) {
                first.cacheManager.administration().withFlags(CacheContainerAdmin.AdminFlag.VOLATILE)
                        .getOrCreateCache(name, configuration);
                awaitStable();
            }
            return null;
        });
    }

    // ------------------------------------------------------------------------------------ accessors

    /** Every node's Hot Rod endpoint, running or not: {@code 127.0.0.1:p1;127.0.0.1:p2} (quarkus.infinispan-client.hosts). */
    public String hotRodServers() {
        if (remote != null) {
            return (String) getRemote("HotRodServers");
        }
        return nodes.stream().map(n -> HOST + ":" + n.hotRodPort).collect(Collectors.joining(";"));
    }

    /** Node {@code i}'s Hot Rod endpoint, {@code 127.0.0.1:port}. */
    public String hotRodServer(int i) {
        return hotRodServers().split(";")[i];
    }

    public int hotRodPort(int i) {
        String s = hotRodServer(i);
        return Integer.parseInt(s.substring(s.lastIndexOf(':') + 1));
    }

    /** Number of nodes, running or not. */
    public int size() {
        if (remote != null) {
            return (Integer) getRemote("Size");
        }
        return nodes.size();
    }

    public boolean isRunning(int i) {
        if (remote != null) {
            try {
                return (Boolean) ManagementFactory.getPlatformMBeanServer().invoke(remote, "isNodeRunning",
                        new Object[] {i}, new String[] {int.class.getName()});
            } catch (JMException e) {
                throw new IllegalStateException("shared Infinispan cluster: isNodeRunning failed", e);
            }
        }
        synchronized (this) {
            return node(i).running();
        }
    }

    /** Every TCP port a node listens on when running (Hot Rod, JGroups, FD_SOCK2's first choice), node by node. */
    public List<Integer> ports() {
        if (remote != null) {
            return Stream.of(((String) getRemote("Ports")).split(",")).map(Integer::valueOf).toList();
        }
        return nodes.stream().flatMap(n -> Stream.of(n.hotRodPort, n.jgroupsPort, n.fdPort)).toList();
    }

    /** Node {@code i}'s cache manager, or null when it is stopped (not available across class loaders). */
    public synchronized EmbeddedCacheManager cacheManager(int i) {
        if (remote != null) {
            throw new UnsupportedOperationException("the shared cluster lives in another class loader");
        }
        return node(i).cacheManager;
    }

    /** How long the last {@link #start()} took until the cluster was formed. */
    public Duration lastStartDuration() {
        if (remote != null) {
            return Duration.ofMillis((Long) getRemote("LastStartMillis"));
        }
        synchronized (this) {
            return lastStartDuration;
        }
    }

    // ------------------------------------------------------------------------------------ internals

    private Node node(int i) {
        if (i < 0 || i >= nodes.size()) {
            throw new IndexOutOfBoundsException("node " + i + " of " + nodes.size());
        }
        return nodes.get(i);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this Infinispan cluster is closed");
        }
    }

    private static synchronized void quietLogging() {
        if (!QUIETED.isEmpty()
                || java.util.logging.LogManager.getLogManager().getClass() != java.util.logging.LogManager.class) {
            return;
        }
        java.util.logging.Level level;
        try {
            level = java.util.logging.Level.parse(System.getProperty(LOG_LEVEL_PROPERTY, "WARNING"));
        } catch (IllegalArgumentException e) {
            level = java.util.logging.Level.WARNING;
        }
        for (String name : List.of("org.infinispan", "org.jgroups")) {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
            if (logger.getLevel() == null) {
                logger.setLevel(level);
            }
            QUIETED.add(logger);
        }
    }

    private void startInternal(Node n) throws IOException {
        quietLogging();
        Path state = home.resolve("node-" + n.index);
        Files.createDirectories(state);
        GlobalConfigurationBuilder g = new GlobalConfigurationBuilder();
        g.classLoader(InfinispanCluster.class.getClassLoader());
        g.cacheManagerName("portcullis-ispn-" + n.index);
        g.transport().defaultTransport()
                .clusterName(config.clusterName)
                .nodeName("node-" + n.index)
                .addProperty(JGroupsTransport.CONFIGURATION_XML, jgroupsStack(n));
        g.jmx().disable();
        g.metrics().gauges(false).histograms(false);
        g.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER);
        g.globalState().enable()
                .persistentLocation(state.resolve("data").toString())
                .temporaryLocation(state.resolve("tmp").toString())
                .sharedPersistentLocation(state.resolve("shared").toString())
                .configurationStorage(ConfigurationStorage.OVERLAY)
                .uncleanShutdownAction(UncleanShutdownAction.IGNORE);
        GlobalConfiguration global = g.build();

        DefaultCacheManager cm = new DefaultCacheManager(global, true);
        HotRodServer server = null;
        try {
            HotRodServerConfigurationBuilder hb = new HotRodServerConfigurationBuilder();
            hb.name(HOT_ROD_NAME).host(HOST).port(n.hotRodPort).ioThreads(2)
                    .adminOperationsHandler(new EmbeddedServerAdminOperationHandler());
            hb.authentication().disable();
            server = startHotRod(hb, cm);
            for (Map.Entry<String, Configuration> c : caches.entrySet()) {
                cm.administration().withFlags(CacheContainerAdmin.AdminFlag.VOLATILE)
                        .getOrCreateCache(c.getKey(), c.getValue());
            }
        } catch (RuntimeException e) {
            if (server != null) {
                quietly(server::stop);
            }
            quietly(cm::stop);
            throw e;
        }
        n.cacheManager = cm;
        n.server = server;
    }

    /** Starts the Hot Rod server, retrying a bind that fails while the port is still held from the last run. */
    private static HotRodServer startHotRod(HotRodServerConfigurationBuilder hb, EmbeddedCacheManager cm) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            HotRodServer server = new HotRodServer();
            try {
                server.start(hb.build(), cm);
                server.postStart();
                return server;
            } catch (RuntimeException e) {
                if (!isBindFailure(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                FreePort.pause(100);
            }
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    private void stopInternal(Node n) {
        HotRodServer server = n.server;
        EmbeddedCacheManager cm = n.cacheManager;
        n.server = null;
        n.cacheManager = null;
        if (server != null) {
            quietly(server::stop);
        }
        if (cm != null) {
            cm.stop();
        }
    }

    /** The JGroups stack of one node: TCP on 127.0.0.1, TCPPING over every node's port, no multicast at all. */
    private String jgroupsStack(Node self) {
        // A node that starts while no other node runs has nobody to find: discovery always waits the full
        // join_timeout before a node makes itself coordinator, so keep that wait short for it.
        boolean alone = nodes.stream().noneMatch(Node::running);
        Duration joinTimeout = alone ? config.firstJoinTimeout : config.joinTimeout;
        String initialHosts = nodes.stream().map(n -> HOST + "[" + n.jgroupsPort + "]")
                .collect(Collectors.joining(","));
        return """
                <config xmlns="urn:org:jgroups">
                  <TCP bind_addr="%1$s" bind_port="%2$d" port_range="0"
                       diag.enabled="false" tcp_nodelay="true" sock_conn_timeout="300" linger="-1"
                       thread_naming_pattern="pl" bundler_type="transfer-queue" bundler.max_size="64000"
                       thread_pool.min_threads="0" thread_pool.max_threads="50" thread_pool.keep_alive_time="60000"/>
                  <TCPPING initial_hosts="%3$s" port_range="0"/>
                  <MERGE3 min_interval="10000" max_interval="30000"/>
                  <FD_SOCK2 bind_addr="%1$s" offset="%4$d" port_range="2"/>
                  <FD_ALL3/>
                  <VERIFY_SUSPECT2 timeout="1000"/>
                  <pbcast.NAKACK2 use_mcast_xmit="false" xmit_interval="200" xmit_table_num_rows="50"
                                  xmit_table_msgs_per_row="1024" xmit_table_max_compaction_time="30000"
                                  resend_last_seqno="true"/>
                  <UNICAST3 conn_close_timeout="5000" xmit_interval="200" xmit_table_num_rows="50"
                            xmit_table_msgs_per_row="1024" xmit_table_max_compaction_time="30000"/>
                  <pbcast.STABLE desired_avg_gossip="5000" max_bytes="1M"/>
                  <pbcast.GMS print_local_addr="false" join_timeout="%5$d"/>
                  <UFC max_credits="4m" min_threshold="0.40"/>
                  <MFC max_credits="4m" min_threshold="0.40"/>
                  <FRAG4 frag_size="60000"/>
                </config>
                """.formatted(HOST, self.jgroupsPort, initialHosts, self.fdPort - self.jgroupsPort,
                joinTimeout.toMillis());
    }

    /**
     * Polls until every running node sees exactly the running nodes, every defined cache on every running node has
     * every running node as a member and no rebalance in progress, and every Hot Rod server lists every running
     * server.
     */
    private void awaitStable() {
        long deadline = System.nanoTime() + config.startTimeout.toNanos();
        while (true) {
            String problem = instability();
            if (problem == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Infinispan cluster not stable after " + config.startTimeout + ": "
                        + problem);
            }
            FreePort.pause(20);
        }
    }

    /** Why the cluster is not stable yet, or null. */
    private String instability() {
        List<Node> running = nodes.stream().filter(Node::running).toList();
        Set<Object> addresses = running.stream().map(n -> (Object) n.cacheManager.getAddress())
                .collect(Collectors.toSet());
        for (Node n : running) {
            List<?> members = n.cacheManager.getMembers();
            if (members == null || !new HashSet<>(members).equals(addresses)) {
                return "node " + n.index + " sees " + members + ", running: " + addresses;
            }
            Set<String> cacheNames = new java.util.LinkedHashSet<>(caches.keySet());
            cacheNames.add(n.server.getAddressCache().getName());
            for (String name : cacheNames) {
                if (!n.cacheManager.cacheExists(name)) {
                    return "node " + n.index + " has no cache " + name + " yet";
                }
                Cache<?, ?> cache = n.cacheManager.getCache(name);
                DistributionManager dm = cache.getAdvancedCache().getDistributionManager();
                if (dm == null) {
                    continue;
                }
                CacheTopology t = dm.getCacheTopology();
                if (t == null || t.getPhase() != CacheTopology.Phase.NO_REBALANCE
                        || !new HashSet<>(t.getActualMembers()).equals(addresses)
                        || !new HashSet<>(t.getMembers()).equals(addresses)) {
                    return "node " + n.index + ", cache " + name + ": topology " + t;
                }
            }
            int announced = n.server.getAddressCache().size();
            if (announced != running.size()) {
                return "node " + n.index + "'s Hot Rod topology has " + announced + " of " + running.size()
                        + " servers";
            }
        }
        return null;
    }

    private static int freePort(Set<Integer> taken) {
        for (int i = 0; i < 50; i++) {
            int p = FreePort.find();
            // FD_SOCK2 may move up to 2 ports up from its first choice: keep those apart too
            if (IntStream.rangeClosed(p - 2, p + 2).noneMatch(taken::contains)) {
                taken.add(p);
                return p;
            }
        }
        throw new IllegalStateException("no distinct free ports on " + HOST);
    }

    private static long millis(Duration d) {
        return d == null ? -1 : d.toMillis();
    }

    private static <T> T withOwnClassLoader(Callable<T> action) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(InfinispanCluster.class.getClassLoader());
        try {
            return action.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // stopping anyway
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    @Override
    public String toString() {
        if (remote != null) {
            return "InfinispanCluster[" + hotRodServers() + ", shared]";
        }
        StringJoiner j = new StringJoiner(", ", "InfinispanCluster[", shared ? ", shared]" : "]");
        for (Node n : nodes) {
            j.add(HOST + ":" + n.hotRodPort + (n.running() ? "" : " (stopped)"));
        }
        return j.toString();
    }

    private static final class Node {
        final int index;
        final int hotRodPort;
        final int jgroupsPort;
        final int fdPort;
        DefaultCacheManager cacheManager;
        HotRodServer server;

        Node(int index, int hotRodPort, int jgroupsPort, int fdPort) {
            this.index = index;
            this.hotRodPort = hotRodPort;
            this.jgroupsPort = jgroupsPort;
            this.fdPort = fdPort;
        }

        boolean running() {
            return cacheManager != null;
        }
    }

    // ------------------------------------------------------------------------ shared across loaders

    /** What other class loaders can do with the shared cluster (JDK types only). */
    public interface SharedControl {
        Object getSelf();

        String getHotRodServers();

        int getSize();

        String getPorts();

        long getLastStartMillis();

        boolean isNodeRunning(int i);

        void start();

        void stopNode(int i);

        void startNode(int i);

        /** Durations in milliseconds, negative for none. */
        void defineDistributedCache(String name, long lifespanMillis, long maxIdleMillis);
    }

    private final class Control implements SharedControl {
        @Override
        public Object getSelf() {
            return InfinispanCluster.this;
        }

        @Override
        public String getHotRodServers() {
            return hotRodServers();
        }

        @Override
        public int getSize() {
            return size();
        }

        @Override
        public String getPorts() {
            return ports().stream().map(String::valueOf).collect(Collectors.joining(","));
        }

        @Override
        public long getLastStartMillis() {
            Duration d = lastStartDuration();
            return d == null ? -1 : d.toMillis();
        }

        @Override
        public boolean isNodeRunning(int i) {
            return isRunning(i);
        }

        @Override
        public void start() {
            InfinispanCluster.this.start();
        }

        @Override
        public void stopNode(int i) {
            InfinispanCluster.this.stopNode(i);
        }

        @Override
        public void startNode(int i) {
            InfinispanCluster.this.startNode(i);
        }

        @Override
        public void defineDistributedCache(String name, long lifespanMillis, long maxIdleMillis) {
            InfinispanCluster.this.defineDistributedCache(name,
                    lifespanMillis < 0 ? null : Duration.ofMillis(lifespanMillis),
                    maxIdleMillis < 0 ? null : Duration.ofMillis(maxIdleMillis));
        }
    }

    private Object getRemote(String attribute) {
        try {
            return ManagementFactory.getPlatformMBeanServer().getAttribute(remote, attribute);
        } catch (JMException e) {
            throw new IllegalStateException("shared Infinispan cluster: reading " + attribute + " failed", e);
        }
    }

    private void invokeRemote(String operation, Object[] args, String[] signature) {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(remote, operation, args, signature);
        } catch (javax.management.MBeanException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException("shared Infinispan cluster: " + operation + " failed: " + cause, cause);
        } catch (JMException e) {
            throw new IllegalStateException("shared Infinispan cluster: " + operation + " failed", e);
        }
    }

    // ----------------------------------------------------------------------------------- builder

    /** Options for an {@link InfinispanCluster}; every one has a default. */
    public static final class Builder {
        private int nodes = 2;
        private String clusterName = "portcullis-test";
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration joinTimeout = Duration.ofSeconds(2);
        private Duration firstJoinTimeout = Duration.ofMillis(300);

        private Builder() {
        }

        /** Number of nodes (default 2). */
        public Builder nodes(int nodes) {
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes must be at least 1");
            }
            this.nodes = nodes;
            return this;
        }

        /** JGroups cluster name (default portcullis-test). */
        public Builder clusterName(String name) {
            this.clusterName = name;
            return this;
        }

        /** Deadline for a start, a stop or a join to settle (default 60 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /**
         * JGroups GMS join_timeout (default 2 s): how long a node that starts while others run looks for their
         * coordinator (it stops looking at the coordinator's first answer, which on loopback takes milliseconds).
         */
        public Builder joinTimeout(Duration timeout) {
            this.joinTimeout = timeout;
            return this;
        }

        /**
         * join_timeout of a node that starts while no other node of this cluster runs (default 300 ms): it only
         * delays that node's becoming coordinator of a cluster of one.
         */
        public Builder firstJoinTimeout(Duration timeout) {
            this.firstJoinTimeout = timeout;
            return this;
        }

        public InfinispanCluster build() {
            return new InfinispanCluster(this, false);
        }

        /** {@link #build()} then {@link InfinispanCluster#start()}. */
        public InfinispanCluster start() {
            return build().start();
        }
    }
}
