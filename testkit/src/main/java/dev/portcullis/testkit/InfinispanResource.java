package dev.portcullis.testkit;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Quarkus test resource: real clustered Infinispan for the application under test, reached through the Quarkus
 * Hot Rod client ({@code quarkus-infinispan-client}): {@code quarkus.infinispan-client.hosts} lists every node's
 * Hot Rod server, without authentication, and Dev Services stay off (no Docker).
 *
 * <p>It is {@link InfinispanCluster#shared()}: one 2-node cluster per test JVM, in this JVM, alive until the JVM
 * exits. {@link #start()} restarts any node a test left stopped. The init argument {@value #CACHES_ARG} names
 * distributed caches (comma-separated) to define before the application starts (DIST_SYNC, 2 owners, protostream
 * encoding, no expiration); the application may also create its own over Hot Rod.
 *
 * <pre>
 * &#64;QuarkusTest
 * &#64;QuarkusTestResource(value = InfinispanResource.class,
 *         initArgs = &#64;ResourceArg(name = InfinispanResource.CACHES_ARG, value = "counts,verdicts"))
 * class CountsSurviveTest {
 *     &#64;Test
 *     void nodeLoss() {
 *         InfinispanCluster.shared().stopNode(0);   // works from any class loader
 *         ...
 *         InfinispanCluster.shared().startNode(0);
 *     }
 * }
 * </pre>
 */
public class InfinispanResource implements QuarkusTestResourceLifecycleManager {

    /** Init argument: comma-separated names of distributed caches to define. */
    public static final String CACHES_ARG = "caches";

    private static volatile String lastHosts;

    private String caches = "";

    @Override
    public void init(Map<String, String> initArgs) {
        caches = initArgs.getOrDefault(CACHES_ARG, "");
    }

    @Override
    public Map<String, String> start() {
        InfinispanCluster cluster = InfinispanCluster.shared();
        cluster.start(); // no-op unless a test left a node stopped
        for (String name : caches.split(",")) {
            if (!name.isBlank()) {
                cluster.defineDistributedCache(name.trim());
            }
        }
        String hosts = cluster.hotRodServers();
        lastHosts = hosts;
        return Map.of("quarkus.infinispan-client.hosts", hosts,
                "quarkus.infinispan-client.use-auth", "false",
                "quarkus.infinispan-client.devservices.enabled", "false");
    }

    @Override
    public void stop() {
        // the shared cluster lives until the JVM exits
    }

    /** The Hot Rod hosts handed to the application by the last {@link #start()} (in this class loader). */
    public static String hotRodServers() {
        String h = lastHosts;
        return h != null ? h : InfinispanCluster.shared().hotRodServers();
    }
}
