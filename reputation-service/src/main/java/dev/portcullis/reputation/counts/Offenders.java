package dev.portcullis.reputation.counts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The worst offenders of one Kafka partition, for {@code GET /api/v1/reputation?top=N}.
 *
 * <p>How: an IP's events all land on one partition, so each partition's owner can rank its
 * own clients exactly, and the union of every partition's top {@value #KEEP} is guaranteed
 * to hold the global top {@value #KEEP}. Once a second the owner re-ranks the clients it
 * touched since, plus the previous candidates (an untouched client's counts only fall), and
 * stores the candidates with their figures per window under {@code top:<partition>}. A
 * query merges the partitions' lists - a few kilobytes each - instead of scanning the grid.
 */
public final class Offenders {

    /** How many clients each partition keeps per ranking (and the largest {@code top} allowed). */
    public static final int KEEP = 100;

    /** What a top list can be ordered by. */
    public enum By {
        ERRORS, CONNECTIONS, REJECTS, SCORE;

        /** The figure of {@code totals} this ranking uses, "worse" being larger. */
        long badness(long[] totals) {
            return switch (this) {
                case ERRORS -> totals[Counter.ERRORS.ordinal()];
                case CONNECTIONS -> totals[Counter.CONNECTIONS.ordinal()];
                case REJECTS -> totals[Counter.REJECTS.ordinal()];
                case SCORE -> -Score.of(totals);
            };
        }
    }

    /** One candidate: an IP and its {@code By} badness figures per window ([window][by]). */
    public record Candidate(String ip, long[][] badness) {
        public long badness(int window, By by) {
            return badness[window][by.ordinal()];
        }
    }

    private Offenders() {
    }

    /** The candidates worth keeping among {@code states} (IP text to state) at {@code now}. */
    public static List<Candidate> rank(Map<String, ClientState> states, List<WindowSpec> windows, long nowMillis) {
        List<Candidate> all = new ArrayList<>(states.size());
        states.forEach((ip, s) -> {
            long[][] b = new long[windows.size()][By.values().length];
            boolean any = false;
            for (int w = 0; w < windows.size(); w++) {
                long[] totals = s.window(w).totals(windows.get(w).oldestBucketAt(nowMillis));
                for (By by : By.values()) {
                    b[w][by.ordinal()] = by.badness(totals);
                    any |= b[w][by.ordinal()] > 0;
                }
            }
            if (any) {
                all.add(new Candidate(ip, b));
            }
        });
        Set<Candidate> keep = new LinkedHashSet<>();
        for (int w = 0; w < windows.size(); w++) {
            for (By by : By.values()) {
                keep.addAll(top(all, w, by, KEEP));
            }
        }
        return new ArrayList<>(keep);
    }

    /** The {@code n} worst of {@code candidates} by {@code by} in window {@code w} (only those with badness > 0). */
    public static List<Candidate> top(List<Candidate> candidates, int w, By by, int n) {
        Comparator<Candidate> worstFirst = Comparator.comparingLong((Candidate c) -> c.badness(w, by)).reversed()
                .thenComparing(Candidate::ip);
        if (n <= 0) {
            return List.of();
        }
        // A heap of the n worst so far, the least bad on top: n log n per ranking instead of a sort
        // of every client touched in the last second (thousands under a flood, once a second).
        java.util.PriorityQueue<Candidate> worst = new java.util.PriorityQueue<>(n + 1, worstFirst.reversed());
        for (Candidate c : candidates) {
            if (c.badness(w, by) <= 0) {
                continue;
            }
            if (worst.size() < n) {
                worst.add(c);
            } else if (worstFirst.compare(c, worst.peek()) < 0) {
                worst.poll();
                worst.add(c);
            }
        }
        List<Candidate> out = new ArrayList<>(worst);
        out.sort(worstFirst);
        return out;
    }

    public static byte[] encode(List<Candidate> candidates) {
        StringBuilder out = new StringBuilder(candidates.size() * 48);
        for (Candidate c : candidates) {
            out.append(c.ip);
            for (long[] window : c.badness) {
                for (long v : window) {
                    out.append(' ').append(v);
                }
            }
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Decodes a partition's list; lines that do not fit {@code windows} are skipped. */
    public static List<Candidate> decode(byte[] bytes, int windows) {
        List<Candidate> out = new ArrayList<>();
        if (bytes == null) {
            return out;
        }
        int per = By.values().length;
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n")) {
            String[] f = line.split(" ");
            if (f.length != 1 + windows * per) {
                continue;
            }
            long[][] b = new long[windows][per];
            try {
                for (int w = 0; w < windows; w++) {
                    for (int k = 0; k < per; k++) {
                        b[w][k] = Long.parseLong(f[1 + w * per + k]);
                    }
                }
            } catch (NumberFormatException e) {
                continue;
            }
            out.add(new Candidate(f[0], b));
        }
        return out;
    }

    /** Merges partitions' lists; an IP met twice (a partition handed over) keeps its larger figures. */
    public static List<Candidate> merge(List<List<Candidate>> lists) {
        Map<String, Candidate> byIp = new HashMap<>();
        for (List<Candidate> list : lists) {
            for (Candidate c : list) {
                byIp.merge(c.ip, c, (a, b) -> a.badness[0][0] + a.badness[a.badness.length - 1][0]
                        >= b.badness[0][0] + b.badness[b.badness.length - 1][0] ? a : b);
            }
        }
        return new ArrayList<>(byIp.values());
    }
}
