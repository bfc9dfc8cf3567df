package dev.portcullis.ban.engine;

/**
 * One address's recent failures in one jail: the times of the last {@code maxretry}, a ring
 * (older ones can no longer matter). fail2ban's {@code FailManager} keeps a count per address;
 * only the ones inside {@code findtime} count.
 */
final class Failures {

    private final long[] times;
    private int size;
    private int next;

    Failures(int maxRetry) {
        times = new long[maxRetry];
    }

    /** Records a failure at {@code at}; how many fall within {@code findMillis} before it, this one included. */
    int add(long at, long findMillis) {
        times[next] = at;
        next = (next + 1) % times.length;
        size = Math.min(size + 1, times.length);
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (times[i] > at - findMillis && times[i] <= at) {
                n++;
            }
        }
        return n;
    }

    void clear() {
        size = 0;
        next = 0;
    }

    int size() {
        return size;
    }
}
