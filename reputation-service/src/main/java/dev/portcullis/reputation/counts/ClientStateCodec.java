package dev.portcullis.reputation.counts;

import dev.portcullis.events.Verdict;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a {@link ClientState}: a compact binary layout (variable-length
 * integers) rather than JSON, because it is written for every active client on every
 * batch and held in Infinispan twice (two owners).
 *
 * <p>Layout, version {@value #VERSION}: offset+1, last seen, last error, carried errors;
 * open sessions (key, since); windows, each with its length and granularity so that a
 * window whose configuration has changed is dropped rather than misread; the verdict
 * entries last published. Unknown versions decode as an empty state, so a downgrade loses
 * counts, never the service.
 */
public final class ClientStateCodec {

    static final int VERSION = 1;

    private final List<WindowSpec> windows;

    public ClientStateCodec(List<WindowSpec> windows) {
        this.windows = List.copyOf(windows);
    }

    public ClientState newState() {
        return new ClientState(windows.size());
    }

    public byte[] encode(ClientState s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 32 * s.openCount);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            writeVar(out, s.lastOffset + 1);
            writeVar(out, s.lastSeenMillis);
            writeVar(out, s.lastErrorMillis);
            writeVar(out, s.carriedErrors);
            writeVar(out, s.openCount);
            for (int i = 0; i < s.openCount; i++) {
                out.writeLong(s.openKeys[i]);
                writeVar(out, s.openSince[i]);
            }
            writeVar(out, s.windows.length);
            for (int w = 0; w < s.windows.length; w++) {
                WindowCounts counts = s.windows[w];
                writeVar(out, windows.get(w).length().toMillis());
                writeVar(out, windows.get(w).granularityMillis());
                writeVar(out, counts.buckets());
                for (int b = 0; b < counts.buckets(); b++) {
                    writeVar(out, counts.bucketId(b));
                    for (int c = 0; c < Counter.SIZE; c++) {
                        writeVar(out, counts.value(b, c));
                    }
                    Breakdown d = counts.breakdownAt(b);
                    int n = d == null ? 0 : d.size();
                    writeVar(out, n);
                    for (int k = 0; k < n; k++) {
                        out.writeUTF(d.key(k));
                        writeVar(out, d.count(k));
                    }
                }
            }
            writeVar(out, s.verdict.size());
            for (Verdict.Entry e : s.verdict) {
                out.writeUTF(e.limit());
                writeVar(out, e.value());
                writeVar(out, e.configured());
                writeVar(out, e.until().toEpochMilli());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** Decodes a stored state; null or unreadable bytes give a fresh state. */
    public ClientState decode(byte[] bytes) {
        ClientState s = newState();
        if (bytes == null || bytes.length == 0) {
            return s;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readUnsignedByte() != VERSION) {
                return s;
            }
            s.lastOffset = readVar(in) - 1;
            s.lastSeenMillis = readVar(in);
            s.lastErrorMillis = readVar(in);
            s.carriedErrors = (int) readVar(in);
            int open = (int) readVar(in);
            for (int i = 0; i < open; i++) {
                long key = in.readLong();
                s.sessionOpened(key, readVar(in));
            }
            int windowCount = (int) readVar(in);
            long[] counters = new long[Counter.SIZE];
            for (int w = 0; w < windowCount; w++) {
                long length = readVar(in);
                long granularity = readVar(in);
                boolean keep = w < windows.size() && windows.get(w).length().toMillis() == length
                        && windows.get(w).granularityMillis() == granularity;
                int buckets = (int) readVar(in);
                for (int b = 0; b < buckets; b++) {
                    long id = readVar(in);
                    for (int c = 0; c < Counter.SIZE; c++) {
                        counters[c] = readVar(in);
                    }
                    int n = (int) readVar(in);
                    Breakdown d = n == 0 ? null : new Breakdown();
                    for (int k = 0; k < n; k++) {
                        String key = in.readUTF();
                        d.add(key, readVar(in));
                    }
                    if (keep) {
                        s.windows[w].restore(id, counters, d);
                    }
                }
            }
            int entries = (int) readVar(in);
            List<Verdict.Entry> verdict = new ArrayList<>(entries);
            for (int i = 0; i < entries; i++) {
                verdict.add(new Verdict.Entry(in.readUTF(), readVar(in), readVar(in),
                        Instant.ofEpochMilli(readVar(in))));
            }
            s.verdict = List.copyOf(verdict);
            return s;
        } catch (IOException | RuntimeException e) {
            return newState(); // corrupt: start over rather than fail the batch
        }
    }

    // Zig-zag variable-length longs: small numbers (most counters) take one byte.
    private static void writeVar(DataOutputStream out, long v) throws IOException {
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            out.writeByte((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.writeByte((int) z);
    }

    private static long readVar(DataInputStream in) throws IOException {
        long z = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            z |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (z >>> 1) ^ -(z & 1);
            }
        }
        throw new IOException("variable-length integer too long");
    }
}
