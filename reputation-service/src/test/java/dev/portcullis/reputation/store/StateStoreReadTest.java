package dev.portcullis.reputation.store;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads are tried again after a failure (the Hot Rod client sends the next attempt to another
 * server once one has failed), a bounded number of times; GridResilienceTest shows the effect
 * against a real grid losing a node.
 */
class StateStoreReadTest {

    private final StateStore store = new StateStore();

    @Test
    void aReadThatFailsIsTriedAgainAndItsAnswerReturned() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        String answer = store.<String>reading(() -> calls.incrementAndGet() < StateStore.READ_ATTEMPTS
                ? CompletableFuture.failedFuture(new IllegalStateException("server gone"))
                : CompletableFuture.completedFuture("counts"), StateStore.READ_ATTEMPTS).get(10, TimeUnit.SECONDS);
        assertEquals("counts", answer);
        assertEquals(StateStore.READ_ATTEMPTS, calls.get());
        assertTrue(store.healthy());
    }

    @Test
    void aReadThatKeepsFailingFailsAfterItsAttempts() {
        AtomicInteger calls = new AtomicInteger();
        ExecutionException e = assertThrows(ExecutionException.class, () -> store.<String>reading(() -> {
            calls.incrementAndGet();
            throw new IllegalStateException("no server");
        }, StateStore.READ_ATTEMPTS).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("no server"), e.toString());
        assertEquals(StateStore.READ_ATTEMPTS, calls.get());
        assertTrue(store.failures() >= StateStore.READ_ATTEMPTS);
    }
}
