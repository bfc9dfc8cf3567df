package dev.portcullis.ban.config;

import dev.portcullis.events.Cidr;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The two list formats blocklists read. Both are read a line at a time (never whole into memory
 * as text), both refuse a malformed line with {@code file:line: problem}, and both stop at
 * {@value #MAX_ENTRIES} networks.
 *
 * <p><b>CIDR list</b>: one address or network per line ({@code 192.0.2.0/24}, {@code 2001:db8::/32},
 * {@code 198.51.100.7}); {@code #} and {@code ;} start a comment, so Spamhaus DROP's
 * {@code 192.0.2.0/24 ; SBL123} reads as is. A network with host bits set is refused, as Postfix's
 * {@code cidr} tables refuse it.
 *
 * <p><b>RIR delegated-stats</b> (the format every regional registry publishes:
 * {@code registry|cc|type|start|value|date|status[|opaque-id[|extensions]]}): the version line and
 * the {@code |*|...|summary} lines are skipped, as are {@code asn} records and every status but
 * {@code allocated} and {@code assigned}. For {@code ipv4} the value is an address count, which
 * need not be a power of two: the range is split into the fewest CIDR blocks that cover it
 * exactly. For {@code ipv6} the value is the prefix length.
 */
public final class ListFiles {

    public static final int MAX_ENTRIES = 2_000_000;
    static final int MAX_LINE = 4096;

    private ListFiles() {
    }

    public static Set<Cidr> readCidrList(Path file) {
        Set<Cidr> out = new LinkedHashSet<>();
        forEachLine(file, (n, line) -> {
            String t = line;
            int hash = indexOfComment(t);
            if (hash >= 0) {
                t = t.substring(0, hash);
            }
            t = t.strip();
            if (t.isEmpty()) {
                return;
            }
            try {
                add(out, Cidr.parse(t), file, n);
            } catch (IllegalArgumentException e) {
                throw ConfigException.at(file.toString(), n, e.getMessage());
            }
        });
        return out;
    }

    private static int indexOfComment(String t) {
        int a = t.indexOf('#');
        int b = t.indexOf(';');
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }

    /** The networks of {@code countries} in a delegated-stats file. */
    public static Set<Cidr> readDelegated(Path file, Set<String> countries) {
        Set<Cidr> out = new LinkedHashSet<>();
        boolean[] sawVersion = {false};
        forEachLine(file, (n, line) -> {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                return;
            }
            String[] f = t.split("\\|", -1);
            if (!sawVersion[0] && f.length >= 3 && f[0].matches("\\d+(\\.\\d+)?")) {
                sawVersion[0] = true; // 2|apnic|20261130|...: the version line
                return;
            }
            if (f.length >= 6 && f[1].equals("*") && f[f.length - 1].equals("summary")) {
                return;
            }
            if (f.length < 7) {
                throw ConfigException.at(file.toString(), n, "expected registry|cc|type|start|value|date|status,"
                        + " got " + f.length + " field(s)");
            }
            String cc = f[1].toUpperCase(Locale.ROOT);
            String type = f[2].toLowerCase(Locale.ROOT);
            String status = f[6].toLowerCase(Locale.ROOT);
            if (!type.equals("ipv4") && !type.equals("ipv6") && !type.equals("asn")) {
                throw ConfigException.at(file.toString(), n, "unknown type " + ConfigException.quote(f[2])
                        + " (ipv4, ipv6, asn)");
            }
            if (type.equals("asn") || !(status.equals("allocated") || status.equals("assigned"))
                    || !countries.contains(cc)) {
                return;
            }
            long value;
            try {
                value = Long.parseLong(f[4]);
            } catch (NumberFormatException e) {
                throw ConfigException.at(file.toString(), n, "value " + ConfigException.quote(f[4]) + " is not a number");
            }
            InetAddress start;
            try {
                Cidr c = Cidr.parse(f[3]);
                if (c.prefix() != (type.equals("ipv4") ? 32 : 128)) {
                    throw new IllegalArgumentException("start must be an address");
                }
                start = InetAddress.getByAddress(c.networkBytes());
                if ((start.getAddress().length == 4) != type.equals("ipv4")) {
                    throw new IllegalArgumentException("start " + ConfigException.quote(f[3]) + " is not an " + type
                            + " address");
                }
            } catch (IllegalArgumentException | UnknownHostException e) {
                throw ConfigException.at(file.toString(), n, e.getMessage());
            }
            if (type.equals("ipv6")) {
                if (value < 0 || value > 128) {
                    throw ConfigException.at(file.toString(), n, "ipv6 prefix length " + value + " is not 0-128");
                }
                Cidr c = Cidr.of(start, (int) value);
                if (!java.util.Arrays.equals(c.networkBytes(), start.getAddress())) {
                    throw ConfigException.at(file.toString(), n, "host bits set in " + f[3] + "/" + value);
                }
                add(out, c, file, n);
            } else {
                long first = ipv4(start);
                if (value < 1 || first + value > (1L << 32)) {
                    throw ConfigException.at(file.toString(), n, "ipv4 count " + value + " from " + f[3]
                            + " runs past 255.255.255.255 or is not positive");
                }
                for (Cidr c : rangeToCidrs(first, first + value - 1)) {
                    add(out, c, file, n);
                }
            }
        });
        return out;
    }

    /** The fewest CIDR blocks covering the IPv4 range {@code first..last} (inclusive), in order. */
    public static List<Cidr> rangeToCidrs(long first, long last) {
        List<Cidr> out = new ArrayList<>();
        long at = first;
        while (at <= last) {
            int size = at == 0 ? 32 : Long.numberOfTrailingZeros(at);
            size = Math.min(size, 32);
            while (size > 0 && (1L << size) > last - at + 1) {
                size--;
            }
            out.add(Cidr.of(ipv4Address(at), 32 - size));
            at += 1L << size;
        }
        return out;
    }

    private static long ipv4(InetAddress a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }

    private static InetAddress ipv4Address(long v) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(Set<Cidr> out, Cidr c, Path file, int n) {
        out.add(c);
        if (out.size() > MAX_ENTRIES) {
            throw ConfigException.at(file.toString(), n, "more than " + MAX_ENTRIES + " networks");
        }
    }

    private interface LineHandler {
        void line(int number, String text);
    }

    private static void forEachLine(Path file, LineHandler handler) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int n = 0;
            String line;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.length() > MAX_LINE) {
                    throw ConfigException.at(file.toString(), n, "line longer than " + MAX_LINE + " characters");
                }
                handler.line(n, line);
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
    }
}
