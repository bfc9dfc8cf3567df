package dev.portcullis.reputation;

import dev.portcullis.reputation.ingest.Aggregator;
import dev.portcullis.testkit.InfinispanCluster;
import dev.portcullis.testkit.InfinispanResource;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Counts live in the clustered grid, not in the service: they survive the loss of an
 * Infinispan node, and a partition handover (what a restart or a rebalance does to this
 * instance) continues the counts rather than starting again from zero.
 */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(value = InfinispanResource.class,
        initArgs = @ResourceArg(name = InfinispanResource.CACHES_ARG, value = "portcullis-reputation"))
@WithTestResource(ReputationTestResource.class)
class GridResilienceTest {

    static Events events;

    @Inject
    Aggregator aggregator;

    @BeforeAll
    static void producer() {
        events = new Events();
    }

    @AfterAll
    static void closeProducer() {
        events.close();
    }

    @Test
    void countsSurviveTheLossOfOneGridNodeAndIngestGoesOn() {
        String ip = "127.30.0.1";
        for (int i = 0; i < 4; i++) {
            events.delivered("edge-a", ip);
        }
        ReputationApiTest.awaitCount(ip, "600s", "delivered", 4);
        InfinispanCluster grid = InfinispanCluster.shared();
        grid.stopNode(0);
        try {
            aggregator.rebalanced(0); // forget the in-memory copy: what follows comes from the grid
            answeredAfterFailover(ip, 4);
            events.delivered("edge-b", ip);
            ReputationApiTest.awaitCount(ip, "600s", "delivered", 5);
            ReputationApiTest.awaitCount(ip, "600s", "connections", 5);
        } finally {
            grid.startNode(0);
        }
        // And with the node back (the other one now stopped), nothing went missing.
        grid.stopNode(1);
        try {
            aggregator.rebalanced(0);
            answeredAfterFailover(ip, 5);
        } finally {
            grid.startNode(1);
        }
    }

    @Test
    void withTheWholeGridGoneQueriesGet503AndIngestResumesWhenItIsBack() {
        InfinispanCluster grid = InfinispanCluster.shared();
        grid.stopNode(0);
        grid.stopNode(1);
        try {
            ReputationApiTest.get("/api/v1/reputation/127.30.0.3").then().statusCode(503)
                    .header("Retry-After", equalTo("5"))
                    .body("error", containsString("Infinispan"));
            given().get("/q/health/ready").then().statusCode(503);
            events.open("edge-a", "127.30.0.3"); // waits in Kafka while the grid is away
        } finally {
            grid.startNode(0);
            grid.startNode(1);
        }
        ReputationApiTest.awaitCount("127.30.0.3", "60s", "connections", 1);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'grid' }.data.eventsConsumer", equalTo("consuming"));
    }

    @Test
    void aBrokerThatVanishesStopsNothingButIngestWhichResumes() {
        String ip = "127.30.0.4";
        events.open("edge-a", ip);
        ReputationApiTest.awaitCount(ip, "60s", "connections", 1);
        KafkaBroker broker = KafkaBroker.shared();
        broker.stop();
        try {
            // The API answers from the grid without Kafka.
            ReputationApiTest.get("/api/v1/reputation/" + ip).then().statusCode(200)
                    .body("windows.'60s'.counts.connections", equalTo(1));
            given().get("/q/health/ready").then().statusCode(200);
        } finally {
            broker.restart();
        }
        events.close();
        events = new Events();
        events.open("edge-b", ip);
        ReputationApiTest.awaitCount(ip, "60s", "connections", 2);
    }

    @Test
    void aHandoverContinuesTheCountsInsteadOfResettingThem() {
        String ip = "127.30.0.2";
        for (int i = 0; i < 3; i++) {
            events.open("edge-a", ip);
        }
        ReputationApiTest.awaitCount(ip, "60s", "connections", 3);
        aggregator.rebalanced(0);
        for (int i = 0; i < 2; i++) {
            events.open("edge-b", ip);
        }
        ReputationApiTest.awaitCount(ip, "60s", "connections", 5);
        ReputationApiTest.get("/api/v1/reputation/" + ip).then().body("openSessions", equalTo(5));
    }

    /**
     * The query right after a node is lost is answered, with the intact counts, from the surviving
     * copy: the read that meets the dead server is tried again on the other one
     * ({@code StateStore#getAllAsync}), so the client never sees the loss as a 503.
     */
    private static void answeredAfterFailover(String ip, int delivered) {
        ReputationApiTest.get("/api/v1/reputation/" + ip).then().statusCode(200)
                .body("windows.'600s'.counts.delivered", equalTo(delivered));
    }
}
