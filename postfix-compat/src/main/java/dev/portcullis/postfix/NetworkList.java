package dev.portcullis.postfix;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A Postfix network list, as in mynetworks and the *_exceptions parameters: client
 * addresses matched against address and network patterns, the first matching pattern
 * deciding (match_list(3), match_hostaddr() and cidr_match(3) of Postfix 3.7).
 *
 * <p>Patterns, separated by commas and/or whitespace:
 * <ul>
 * <li>{@code 192.0.2.1}, {@code 192.0.2.0/24}, {@code [192.0.2.1]}: IPv4;</li>
 * <li>{@code [2001:db8::1]}, {@code [2001:db8::]/32}, {@code [2001:db8::/32]}: IPv6, always
 * in brackets;</li>
 * <li>{@code !pattern}: a match means "not in the list" (first match wins, so
 * {@code !192.0.2.1 192.0.2.0/24} is the /24 without .1);</li>
 * <li>{@code /file/name}: the patterns in the file, several per line, '#' lines are
 * comments; {@code !/file/name} negates each of them.</li>
 * </ul>
 *
 * <p>Refused when the list is built, each with Postfix's wording where it has one:
 * <ul>
 * <li>a network with host bits set, {@code 192.0.2.1/24} ("non-null host address bits in
 * ..., perhaps you should use 192.0.2.0/24 instead"), a mask beyond the address size, a bad
 * mask or address. Postfix 3.7 accepts these when it starts, then logs a warning and fails
 * the lookup for each client that reaches the pattern: smtpd answers "451 4.3.0 Temporary
 * lookup failure" (observed). Refusing at start-up is the same verdict, found earlier.</li>
 * <li>a bare IPv6 address such as {@code ::1/128}: Postfix reads anything with ':' outside
 * brackets as a "type:table" lookup table and does not start ("open dictionary: expecting
 * "type:name" form instead of "::1/128"").</li>
 * <li>{@code type:table}: "lookup tables in mynetworks are not supported yet".</li>
 * <li>anything else, such as {@code mail.example.com}, {@code 127.1} or {@code 10.0.0.01}:
 * Postfix would match it against the client's host name (mynetworks is a host-or-address
 * list); Portcullis matches addresses only.</li>
 * </ul>
 *
 * <p>An IPv4-mapped IPv6 client address ({@code ::ffff:192.0.2.1}) is matched as the IPv4
 * address, as Postfix converts it; an IPv4 pattern never matches an IPv6 client nor the
 * reverse. Immutable and thread-safe.
 */
public final class NetworkList {

    private record Entry(IPAddress network, boolean negated, String pattern) {
    }

    private final String parameter;
    private final List<Entry> entries;
    private final List<String> warnings;

    private NetworkList(String parameter, List<Entry> entries, List<String> warnings) {
        this.parameter = parameter;
        this.entries = List.copyOf(entries);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Parses {@code value} (already $name-expanded) of parameter {@code parameter} defined
     * at {@code origin}.
     *
     * @throws PostfixConfigException for a pattern listed as refused above, or an unreadable
     *                                /file/name
     */
    public static NetworkList parse(String parameter, String value, Origin origin) {
        Objects.requireNonNull(parameter, "parameter");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(origin, "origin");
        List<String> warnings = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        for (PostfixLists.Item item : PostfixLists.patterns(parameter, value, origin, warnings)) {
            entries.add(new Entry(network(parameter, item.pattern(), item.origin()), item.negated(),
                    (item.negated() ? "!" : "") + item.pattern()));
        }
        return new NetworkList(parameter, entries, warnings);
    }

    /** True when the first pattern that matches {@code address} is not negated. */
    public boolean matches(InetAddress address) {
        byte[] bytes = address.getAddress();
        IPAddress client = bytes.length == 16 && isV4Mapped(bytes)
                ? new IPv4Address(Arrays.copyOfRange(bytes, 12, 16))
                : bytes.length == 4 ? new IPv4Address(bytes) : new IPv6Address(bytes);
        for (Entry e : entries) {
            if (e.network().getIPVersion() == client.getIPVersion() && e.network().contains(client)) {
                return !e.negated();
            }
        }
        return false;
    }

    /** True when the list has no patterns (matches nothing). */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The parameter this list is the value of. */
    public String parameter() {
        return parameter;
    }

    /** Warnings Postfix would log for this list ("comment at end of line is not supported"). */
    public List<String> warnings() {
        return warnings;
    }

    /** The patterns as networks in Postfix notation, e.g. "mynetworks = 127.0.0.0/8 !192.0.2.1/32 [::1]/128". */
    @Override
    public String toString() {
        return parameter + " = " + entries.stream().map(e -> {
            String address = e.network().getLower().withoutPrefixLength().toCanonicalString();
            Integer length = e.network().getNetworkPrefixLength();
            return (e.negated() ? "!" : "") + (e.network().isIPv6() ? "[" + address + "]" : address)
                    + "/" + (length == null ? e.network().getBitCount() : length);
        }).collect(Collectors.joining(" "));
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    /** match_hostaddr() and cidr_match_parse() for one pattern (without its '!'s). */
    private static IPAddress network(String parameter, String pattern, Origin origin) {
        if (pattern.charAt(0) != '[' && pattern.indexOf(':') >= 0) {
            // match_list.c: not '[' and a ':' makes it a "type:table" lookup table.
            int slash = pattern.indexOf('/');
            String address = slash < 0 ? pattern : pattern.substring(0, slash);
            if (InetPton.v6(address) != null) {
                throw bad(origin, parameter, "bare IPv6 address " + Printable.quote(pattern)
                        + ": Postfix reads it as a \"type:table\" lookup table; write it as ["
                        + Printable.prefix(address) + "]" + (slash < 0 ? "" : Printable.prefix(pattern.substring(slash))));
            }
            throw bad(origin, parameter, "lookup tables in " + parameter + " are not supported yet: "
                    + Printable.quote(pattern));
        }
        if (pattern.charAt(0) != '[' && pattern.indexOf('/') < 0 && InetPton.v4(pattern) == null) {
            throw bad(origin, parameter, Printable.quote(pattern) + " is not an IP address or network;"
                    + " Postfix would match it against the client's host name, which Portcullis does not do");
        }
        try {
            return CidrPattern.parse(pattern).network();
        } catch (CidrPattern.Bad e) {
            String problem = e.getMessage();
            // match_list reports an unreadable address in brackets as a bad network value
            throw bad(origin, parameter, problem.startsWith("bad address pattern: ")
                    ? "bad network value in " + problem.substring("bad address pattern: ".length()) : problem);
        }
    }

    private static PostfixConfigException bad(Origin origin, String parameter, String problem) {
        return PostfixConfigException.at(origin, parameter, parameter + ": " + problem);
    }
}
