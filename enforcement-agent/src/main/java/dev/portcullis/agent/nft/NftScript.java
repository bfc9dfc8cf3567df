package dev.portcullis.agent.nft;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes the nft scripts that keep the agent's table in step with the decisions: a full one
 * that replaces the table in one transaction, and incremental ones for a batch of changes.
 *
 * <p>The table ({@code inet}, so one table covers IPv4 and IPv6) holds one set per
 * (action, port scope, family, prefix length) in use, each {@code flags timeout}, and one
 * base chain whose rules test the allow sets first ({@code return}: an exception wins over
 * every ban, as fail2ban's {@code ignoreip}) and then the ban sets. A set holds network
 * addresses (host bits zero) and its rule masks the source address to the set's prefix
 * length before the lookup: {@code ip saddr & 255.255.255.0 @ban4_24 drop}.
 *
 * <p>Why not one {@code flags interval} set per family: nftables refuses overlapping
 * intervals in one set ("interval overlaps with an existing one"), while a /24 ban and a /32
 * ban inside it, each with its own expiry, are both live decisions; and nft 1.0.6 edits a
 * large interval set slowly (2,700 element changes in a 100,000-element interval set took
 * 219 s here, the same in a hash set 0.07 s). Networks of one prefix length never overlap,
 * so in a set per prefix length every decision is exactly one hash-set element with its own
 * timeout, and the kernel expires each on its own.
 *
 * <p>Names: {@code ban4_32}, {@code ban6_64}, {@code allow4_24}; a port scope other than
 * "every port" adds {@code _sN} ({@code ban4_s1_32}), and its rule carries the ports
 * ({@code tcp dport { 25, 587 } ip saddr @ban4_s1_32 drop}). An "every port but" scope gets two
 * rules: one for TCP to any other port ({@code tcp dport != { 80 } ip saddr @ban4_s2_32 drop}) and
 * one for every protocol but TCP ({@code meta l4proto != tcp ip saddr @ban4_s2_32 drop}): "drop
 * everything but the web site" drops UDP and ICMP too. {@code ban4_32} and {@code ban6_128}
 * always exist, so other rules may refer to them.
 */
public final class NftScript {

    /** Longest element timeout written; the kernel's limit is far above, and the agent restarts before. */
    static final Duration MAX_TIMEOUT = Duration.ofDays(3650);
    private static final int CHUNK = 1000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,30}");

    /**
     * A port scope: every port ({@link #EVERY_PORT}), the TCP ports listed, or, with
     * {@code except}, everything but the TCP ports listed.
     */
    public record Scope(List<Integer> ports, boolean except) {
        public static final Scope EVERY_PORT = new Scope(List.of(), false);

        public Scope {
            ports = ports.stream().distinct().sorted().toList();
            except = except && !ports.isEmpty();
        }

        String portSet() {
            return "{ " + ports.stream().map(String::valueOf).collect(Collectors.joining(", ")) + " }";
        }

        String describe() {
            String list = ports.stream().map(String::valueOf).collect(Collectors.joining(","));
            return ports.isEmpty() ? "all ports" : except ? "all ports but " + list : "ports " + list;
        }
    }

    /** One nftables set of the table. */
    public record SetId(boolean allow, int scope, boolean v6, int prefix) implements Comparable<SetId> {
        public String name() {
            return (allow ? "allow" : "ban") + (v6 ? "6" : "4") + (scope == 0 ? "" : "_s" + scope) + "_" + prefix;
        }

        @Override
        public int compareTo(SetId o) {
            int c = Boolean.compare(o.allow, allow); // allow sets first
            if (c == 0) {
                c = Integer.compare(scope, o.scope);
            }
            if (c == 0) {
                c = Boolean.compare(v6, o.v6);
            }
            return c != 0 ? c : Integer.compare(o.prefix, prefix);
        }
    }

    /** One element: a network in canonical text form and its timeout (null: none). */
    public record Element(String cidr, Duration timeout) {
        String render() {
            int slash = cidr.indexOf('/');
            String address = slash < 0 ? cidr : cidr.substring(0, slash);
            if (timeout == null) {
                return address;
            }
            long ms = Math.max(1, Math.min(timeout.toMillis(), MAX_TIMEOUT.toMillis()));
            return address + " timeout " + ms + "ms";
        }
    }

    private final String table;
    private final String hook;
    private final int priority;
    private final String verdict;

    /**
     * @throws IllegalArgumentException naming what is wrong with a setting
     */
    public NftScript(String table, String hook, int priority, String verdict) {
        if (!NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not an nftables table name (letters, digits, _; up to 31)");
        }
        if (!hook.equals("input") && !hook.equals("forward") && !hook.equals("prerouting")) {
            throw new IllegalArgumentException("hook must be input, forward or prerouting");
        }
        if (!verdict.equals("drop") && !verdict.equals("reject")) {
            throw new IllegalArgumentException("verdict must be drop or reject");
        }
        if (verdict.equals("reject") && hook.equals("prerouting")) {
            throw new IllegalArgumentException("nftables allows reject only in the input and forward hooks");
        }
        this.table = table;
        this.hook = hook;
        this.priority = priority;
        this.verdict = verdict;
    }

    public String table() {
        return table;
    }

    /** The default sets, present in every table. */
    public static List<SetId> baseSets() {
        return List.of(new SetId(false, 0, false, 32), new SetId(false, 0, true, 128));
    }

    /**
     * Replaces the whole table: creating it first so that deleting it cannot fail, then
     * defining it afresh with its sets, chain and elements, all in one transaction.
     *
     * @param scopes   port scopes by scope number (scope 0 is every port)
     * @param elements the elements of every set (a set with none is still defined)
     */
    public String full(Map<Integer, Scope> scopes, SortedMap<SetId, List<Element>> elements) {
        StringBuilder sb = new StringBuilder(64 + elements.values().stream().mapToInt(List::size).sum() * 40);
        sb.append("table inet ").append(table).append('\n');
        sb.append("delete table inet ").append(table).append('\n');
        sb.append("table inet ").append(table).append(" {\n");
        for (SetId s : elements.keySet()) {
            sb.append("  set ").append(s.name()).append(' ').append(setBody(s)).append('\n');
        }
        sb.append("  chain ").append(hook).append(" {\n");
        sb.append("    type filter hook ").append(hook).append(" priority ").append(priority).append("; policy accept;\n");
        for (String rule : rules(scopes, elements.keySet())) {
            sb.append("    ").append(rule).append('\n');
        }
        sb.append("  }\n}\n");
        elements.forEach((s, els) -> addElements(sb, s, els));
        return sb.toString();
    }

    /**
     * One batch of changes. {@code newSets} are created, and when any are the chain's rules
     * are rewritten for {@code allSets}. Every element in {@code remove} is first added (a no-op
     * when present), then deleted, so a delete never fails on an element the kernel has
     * already expired; every element in {@code add} is then added with its timeout (an
     * element being replaced is in both).
     */
    public String incremental(Map<Integer, Scope> scopes, Collection<SetId> newSets, Collection<SetId> allSets,
                              Map<SetId, List<Element>> remove, Map<SetId, List<Element>> add) {
        StringBuilder sb = new StringBuilder();
        for (SetId s : newSets) {
            sb.append("add set inet ").append(table).append(' ').append(s.name()).append(' ').append(setBody(s))
                    .append('\n');
        }
        if (!newSets.isEmpty()) {
            sb.append("flush chain inet ").append(table).append(' ').append(hook).append('\n');
            for (String rule : rules(scopes, allSets)) {
                sb.append("add rule inet ").append(table).append(' ').append(hook).append(' ').append(rule).append('\n');
            }
        }
        remove.forEach((s, els) -> {
            List<Element> bare = els.stream().map(e -> new Element(e.cidr(), null)).toList();
            addElements(sb, s, bare);
            chunks(bare, chunk -> sb.append("delete element inet ").append(table).append(' ').append(s.name())
                    .append(" { ").append(chunk).append(" }\n"));
        });
        add.forEach((s, els) -> addElements(sb, s, els));
        return sb.toString();
    }

    private void addElements(StringBuilder sb, SetId s, List<Element> els) {
        chunks(els, chunk -> sb.append("add element inet ").append(table).append(' ').append(s.name())
                .append(" { ").append(chunk).append(" }\n"));
    }

    private static void chunks(List<Element> els, java.util.function.Consumer<String> out) {
        for (int i = 0; i < els.size(); i += CHUNK) {
            out.accept(els.subList(i, Math.min(els.size(), i + CHUNK)).stream().map(Element::render)
                    .collect(Collectors.joining(", ")));
        }
    }

    private static String setBody(SetId s) {
        return "{ type " + (s.v6 ? "ipv6_addr" : "ipv4_addr") + "; flags timeout; }";
    }

    /** The chain's rules: allow sets (return), then ban sets (drop or reject), in {@link SetId} order. */
    List<String> rules(Map<Integer, Scope> scopes, Collection<SetId> sets) {
        List<String> rules = new ArrayList<>();
        sets.stream().sorted().forEach(s -> {
            Scope scope = s.scope == 0 ? Scope.EVERY_PORT : scopes.get(s.scope);
            String match = (s.v6 ? "ip6" : "ip") + " saddr " + mask(s) + "@" + s.name();
            String rest = match + " " + (s.allow ? "return" : verdict) + " comment \"portcullis "
                    + (s.allow ? "allow" : "ban") + " /" + s.prefix + " " + scope.describe() + "\"";
            if (scope.ports().isEmpty()) {
                rules.add(rest);
            } else if (scope.except()) {
                rules.add("tcp dport != " + scope.portSet() + " " + rest);
                rules.add("meta l4proto != tcp " + rest);
            } else {
                rules.add("tcp dport " + scope.portSet() + " " + rest);
            }
        });
        return rules;
    }

    /** {@code & MASK } for a network set, nothing for a set of single addresses. */
    private static String mask(SetId s) {
        int bits = s.v6 ? 128 : 32;
        if (s.prefix == bits) {
            return "";
        }
        byte[] m = new byte[bits / 8];
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, s.prefix - i * 8));
            m[i] = (byte) (0xff << (8 - keep));
        }
        try {
            return "& " + java.net.InetAddress.getByAddress(m).getHostAddress() + " ";
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Groups elements by set, keeping the order given. */
    public static Map<SetId, List<Element>> bySet(List<Map.Entry<SetId, Element>> entries) {
        Map<SetId, List<Element>> m = new LinkedHashMap<>();
        for (Map.Entry<SetId, Element> e : entries) {
            m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        }
        return m;
    }
}
