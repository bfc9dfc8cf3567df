package dev.portcullis.ban.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bans one address has had (fail2ban keeps them in its database's {@code bips} table): the
 * most recent {@value #MAX} as (jail, time). It feeds {@code bantime.increment} (how many times
 * before) and recidive jails (how many bans within their {@code findtime}). Kept in Infinispan
 * with a lifespan ({@code portcullis.ban.history-max-age}), so it survives restarts.
 *
 * <p>Encoded as text, one {@code <epochMillis> <jail>} per line, oldest first.
 */
public final class BanHistory {

    static final int MAX = 64;

    public record Entry(String jail, long atMillis) {
    }

    private final List<Entry> entries;

    public BanHistory(List<Entry> entries) {
        List<Entry> e = new ArrayList<>(entries);
        while (e.size() > MAX) {
            e.remove(0);
        }
        this.entries = e;
    }

    public static BanHistory empty() {
        return new BanHistory(List.of());
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** A copy with one more ban. */
    public BanHistory with(String jail, long atMillis) {
        List<Entry> e = new ArrayList<>(entries);
        e.add(new Entry(jail, atMillis));
        return new BanHistory(e);
    }

    /** Bans by {@code jail} (every jail when null). */
    public int count(String jail) {
        int n = 0;
        for (Entry e : entries) {
            if (jail == null || e.jail().equals(jail)) {
                n++;
            }
        }
        return n;
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder();
        for (Entry e : entries) {
            b.append(e.atMillis()).append(' ').append(e.jail()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads {@link #encode()}'s form; unreadable lines are dropped (the history is advisory). */
    public static BanHistory decode(byte[] bytes) {
        if (bytes == null) {
            return empty();
        }
        List<Entry> out = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            int sp = line.indexOf(' ');
            if (sp <= 0) {
                continue;
            }
            try {
                out.add(new Entry(line.substring(sp + 1), Long.parseLong(line.substring(0, sp))));
            } catch (NumberFormatException e) {
                // skip
            }
        }
        return new BanHistory(out);
    }
}
