package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.infinispan.client.hotrod.RemoteCache;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.infinispan.client.hotrod.configuration.ConfigurationBuilder;
import org.infinispan.commons.configuration.StringConfiguration;
import org.infinispan.context.Flag;
import org.junit.jupiter.api.Test;

class InfinispanClusterTest {

    private static final int ENTRIES = 1_000;
    private static final String CACHE = "counts";

    @Test
    void entriesSurviveANodeLeavingAndRejoining() throws Exception {
        long t0 = System.nanoTime();
        List<Integer> ports;
        try (InfinispanCluster ispn = InfinispanCluster.create().start()) {
            log("2-node cluster formed in " + ispn.lastStartDuration().toMillis() + " ms");
            ports = ispn.ports();
            for (int i = 0; i < 2; i++) {
                assertTrue(accepts(ispn.hotRodPort(i)), "Hot Rod server " + i);
            }
            assertEquals("127.0.0.1:" + ispn.hotRodPort(0) + ";127.0.0.1:" + ispn.hotRodPort(1), ispn.hotRodServers());
            ispn.defineDistributedCache(CACHE, Duration.ofHours(1), null);

            Map<String, Integer> expected = new HashMap<>();
            try (RemoteCacheManager rcm = client(ispn.hotRodServers())) {
                RemoteCache<String, Integer> cache = rcm.getCache(CACHE);
                long p0 = System.nanoTime();
                for (int i = 0; i < ENTRIES; i++) {
                    cache.put("ip-" + i, i);
                    expected.put("ip-" + i, i);
                }
                log(ENTRIES + " sync puts over Hot Rod in " + (System.nanoTime() - p0) / 1_000_000 + " ms");
                assertEquals(ENTRIES, cache.size());
            }
            // two owners on two nodes: each node holds every entry
            assertEquals(ENTRIES, localSize(ispn, 0));
            assertEquals(ENTRIES, localSize(ispn, 1));

            long s0 = System.nanoTime();
            ispn.stopNode(0);
            log("node 0 left in " + (System.nanoTime() - s0) / 1_000_000 + " ms");
            assertFalse(ispn.isRunning(0));
            assertFalse(accepts(ispn.hotRodPort(0)), "node 0's Hot Rod port is closed");
            assertAllReadable(ispn.hotRodServer(1), expected);
            assertAllReadable(ispn.hotRodServers(), expected); // the client skips the dead server

            long r0 = System.nanoTime();
            ispn.startNode(0);
            log("node 0 rejoined and rebalanced in " + (System.nanoTime() - r0) / 1_000_000 + " ms");
            assertTrue(ispn.isRunning(0));
            assertEquals(ENTRIES, localSize(ispn, 0), "state transfer gave the rejoined node its copy back");
            assertAllReadable(ispn.hotRodServer(0), expected);
            assertAllReadable(ispn.hotRodServers(), expected);
        }
        for (int port : ports) {
            assertFalse(accepts(port), "port " + port + " still listening after close");
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(FreePort.LOOPBACK, port)); // JGroups/Hot Rod ports are free again
            }
        }
        log("whole test in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Test
    void aHotRodClientCanCreateACacheAndItReachesARestartedNode() {
        try (InfinispanCluster ispn = InfinispanCluster.builder().nodes(2).start();
             RemoteCacheManager rcm = client(ispn.hotRodServers())) {
            // what quarkus.infinispan-client.cache.NAME.configuration does: a permanent cache made over Hot Rod
            RemoteCache<String, String> cache = rcm.administration().getOrCreateCache("client-made",
                    new StringConfiguration("<distributed-cache owners=\"2\" mode=\"SYNC\">"
                            + "<encoding media-type=\"application/x-protostream\"/></distributed-cache>"));
            cache.put("k", "v");
            ispn.stopNode(1);
            ispn.startNode(1);
            ispn.stopNode(0);
            try (RemoteCacheManager only1 = client(ispn.hotRodServer(1))) {
                assertEquals("v", only1.<String, String>getCache("client-made").get("k"));
            }
            ispn.startNode(0);
        }
    }

    @Test
    void sharedClusterIsOnePerJvmAcrossClassLoaders() throws Exception {
        InfinispanCluster shared = InfinispanCluster.shared();
        assertSame(shared, InfinispanCluster.shared());
        shared.close(); // no-op on the shared cluster
        assertTrue(shared.isRunning(0) && shared.isRunning(1));
        log("shared cluster formed in " + shared.lastStartDuration().toMillis() + " ms");

        // a second copy of the testkit classes, as a Quarkus class loader would have, reaches the same cluster
        List<URL> urls = new ArrayList<>();
        for (String e : KafkaBroker.currentClasspath().split(File.pathSeparator)) {
            urls.add(Path.of(e).toUri().toURL());
        }
        try (URLClassLoader other = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> otherType = other.loadClass(InfinispanCluster.class.getName());
            Object otherShared = otherType.getMethod("shared").invoke(null);
            assertEquals(shared.hotRodServers(), otherType.getMethod("hotRodServers").invoke(otherShared));
            otherType.getMethod("defineDistributedCache", String.class).invoke(otherShared, "from-other-loader");

            Class<?> resourceType = other.loadClass(InfinispanResource.class.getName());
            Object resource = resourceType.getConstructor().newInstance();
            resourceType.getMethod("init", Map.class).invoke(resource, Map.of(InfinispanResource.CACHES_ARG, "a, b"));
            @SuppressWarnings("unchecked")
            Map<String, String> props = (Map<String, String>) resourceType.getMethod("start").invoke(resource);
            assertEquals(shared.hotRodServers(), props.get("quarkus.infinispan-client.hosts"));
            assertEquals("false", props.get("quarkus.infinispan-client.use-auth"));
            assertEquals("false", props.get("quarkus.infinispan-client.devservices.enabled"));
            Method stop = resourceType.getMethod("stop");
            stop.invoke(resource);
        }
        try (RemoteCacheManager rcm = client(shared.hotRodServers())) {
            for (String name : List.of("from-other-loader", "a", "b")) {
                RemoteCache<String, String> c = rcm.getCache(name);
                assertNotNull(c, name);
                c.put("k", name);
                assertEquals(name, c.get("k"));
            }
        }
    }

    private static void assertAllReadable(String servers, Map<String, Integer> expected) {
        try (RemoteCacheManager rcm = client(servers)) {
            RemoteCache<String, Integer> cache = rcm.getCache(CACHE);
            Map<String, Integer> read = cache.getAll(expected.keySet());
            assertEquals(expected, read, "read through " + servers);
            assertEquals(ENTRIES, cache.size());
        }
    }

    private static int localSize(InfinispanCluster ispn, int node) {
        return ispn.cacheManager(node).getCache(CACHE).getAdvancedCache()
                .withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_CACHE_LOAD).size();
    }

    /** A connect probe (Netty's epoll listener is an IPv6 socket, absent from /proc/net/tcp). */
    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(FreePort.LOOPBACK, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static RemoteCacheManager client(String servers) {
        ConfigurationBuilder b = new ConfigurationBuilder();
        b.addServers(servers).connectionTimeout(2_000).socketTimeout(10_000);
        return new RemoteCacheManager(b.build());
    }

    private static void log(String line) {
        System.out.println("[InfinispanClusterTest] " + line);
    }
}
