package dev.portcullis.reputation.counts;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded top-N selection against the plain definition: sort everything, keep the first N. */
class OffendersTest {

    private static List<Offenders.Candidate> sorted(List<Offenders.Candidate> all, int w, Offenders.By by, int n) {
        return all.stream()
                .filter(c -> c.badness(w, by) > 0)
                .sorted(Comparator.comparingLong((Offenders.Candidate c) -> c.badness(w, by)).reversed()
                        .thenComparing(Offenders.Candidate::ip))
                .limit(n)
                .toList();
    }

    @Test
    void topIsTheFirstNOfTheFullOrderIncludingTiesAndZeros() {
        Random random = new Random(7);
        int by = Offenders.By.values().length;
        for (int round = 0; round < 200; round++) {
            List<Offenders.Candidate> all = new ArrayList<>();
            int size = random.nextInt(400);
            for (int i = 0; i < size; i++) {
                long[][] b = new long[2][by];
                for (long[] window : b) {
                    for (int k = 0; k < by; k++) {
                        window[k] = random.nextInt(6) - 1; // ties, zeros and negatives (a good score) among them
                    }
                }
                all.add(new Offenders.Candidate("192.0.2." + random.nextInt(1000) + "-" + i, b));
            }
            int n = random.nextInt(120);
            for (int w = 0; w < 2; w++) {
                for (Offenders.By k : Offenders.By.values()) {
                    assertEquals(sorted(all, w, k, n), Offenders.top(all, w, k, n), "round " + round + " " + k);
                }
            }
        }
    }

    @Test
    void nothingWorseThanZeroIsNoOffender() {
        long[][] none = new long[1][Offenders.By.values().length];
        assertTrue(Offenders.top(List.of(new Offenders.Candidate("192.0.2.1", none)), 0, Offenders.By.ERRORS, 5).isEmpty());
    }
}
