package dev.portcullis.reputation.counts;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowCountsTest {

    @Test
    void bucketsStayOrderedWhateverOrderEventsArriveIn() {
        WindowCounts w = new WindowCounts();
        w.add(10, Counter.CONNECTIONS, 1);
        w.add(12, Counter.CONNECTIONS, 2);
        w.add(11, Counter.CONNECTIONS, 4); // a late event lands in its own bucket
        w.add(9, Counter.ERRORS, 1);
        w.add(12, Counter.CONNECTIONS, 8);
        assertEquals(4, w.buckets());
        assertEquals(15, w.sum(Counter.CONNECTIONS, 0));
        assertEquals(14, w.sum(Counter.CONNECTIONS, 11));
        assertEquals(10, w.sum(Counter.CONNECTIONS, 12));
        assertEquals(1, w.sum(Counter.ERRORS, 9));
        assertEquals(0, w.sum(Counter.ERRORS, 10));
    }

    @Test
    void pruneDropsWhatSlidOut() {
        WindowCounts w = new WindowCounts();
        for (long b = 0; b < 20; b++) {
            w.add(b, Counter.MESSAGES, 1);
            w.addReject(b, "check" + b, 550);
        }
        w.prune(15);
        assertEquals(5, w.buckets());
        assertEquals(5, w.sum(Counter.MESSAGES, 0));
        assertEquals(5, w.breakdown(0).byCode().get("550"));
        assertEquals(1, w.breakdown(0).byCheck().get("check19"));
        w.prune(100);
        assertTrue(w.isEmpty());
        w.add(101, Counter.MESSAGES, 1); // usable again after emptying
        assertEquals(1, w.sum(Counter.MESSAGES, 0));
    }

    @Test
    void firstBucketWithinTellsWhenTheCountIsBackUnderTheLimit() {
        WindowCounts w = new WindowCounts();
        w.add(1, Counter.CONNECTIONS, 5);
        w.add(2, Counter.CONNECTIONS, 3);
        w.add(4, Counter.CONNECTIONS, 4);
        assertEquals(2, w.firstBucketWithin(Counter.CONNECTIONS, 0, 10)); // 12 -> drop bucket 1 -> 7
        assertEquals(3, w.firstBucketWithin(Counter.CONNECTIONS, 0, 5));  // 12 -> 7 -> 4
        assertEquals(5, w.firstBucketWithin(Counter.CONNECTIONS, 0, 0));
        assertEquals(0, w.firstBucketWithin(Counter.CONNECTIONS, 0, 12)); // already within
    }

    @Test
    void breakdownKeysAreBounded() {
        Breakdown b = new Breakdown();
        for (int i = 0; i < 100; i++) {
            b.add("check:table" + i, 1);
        }
        b.add("code:550", 1);
        assertEquals(Breakdown.MAX_KEYS + 2, b.size());
        assertEquals(100 - Breakdown.MAX_KEYS, b.byCheck().get("other"));
        assertEquals(1, b.byCode().get("other"));
    }
}
