package dev.portcullis.postfix;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Postfix's built-in defaults ({@code postconf -d}, Postfix 3.7) for the parameters
 * Portcullis uses, at {@code compatibility_level = 3.6}, with the type and the range that
 * Postfix's daemons check for each.
 *
 * <p>Every value was read from {@code postconf -d} of Postfix 3.7.11 (Debian 12) and is
 * checked against it by a test whenever postconf is installed. Deviations, each on purpose:
 * <ul>
 * <li>{@code compatibility_level}: Postfix's default is 0, but its stock main.cf (upstream
 * post-install and Debian's) sets 3.6, and every default here is the level-3.6 one. A main.cf
 * that sets a lower level gets Postfix's older defaults for relay_domains,
 * mynetworks_style and smtpd_relay_restrictions, exactly as Postfix computes them
 * ({@code ${{$compatibility_level} <level {2} ? ...}}).</li>
 * <li>{@code mynetworks}: Postfix computes it from this host's interfaces
 * ({@code mynetworks_style = host}: each own address as /32 or /128). The edge is not the
 * mail host, so the default here is loopback only, {@code 127.0.0.0/8 [::1]/128}; with
 * mynetworks_style subnet or class, mynetworks must be set explicitly.</li>
 * <li>{@code smtpd_forbid_bare_newline}: {@code normal}, the Postfix 3.9 default. Postfix
 * 3.7.11 (upstream and Debian) defaults to {@code no} and does not even accept
 * {@code normal} (its word is {@code normalize}).</li>
 * </ul>
 *
 * <p>{@code myhostname} defaults to the host name (gethostname(), injected with
 * {@link #forHostName}); a name without a dot gets ".$mydomain" when mydomain is set, else
 * ".localdomain" appended. {@code mydomain} defaults to $myhostname minus its first label,
 * or "localdomain". Both as Postfix 3.7's mail_params.c.
 */
public final class PostfixDefaults {

    /** The compatibility level these defaults are for. */
    public static final String COMPATIBILITY_LEVEL = "3.6";

    /** What kind of value a parameter holds, and so how Postfix parses it. */
    enum Kind { STRING, BOOLEAN, INT, LONG, TIME, LIST }

    /**
     * How a computed default is worked out from other parameters; {@code context} expands
     * them within the current expansion (loops are detected there).
     */
    interface Computed {
        String compute(Context context);
    }

    /** What a computed default may consult. */
    interface Context {
        /** The expanded value of a parameter. */
        String expand(String name);

        /** The explicit definition of a parameter, if any. */
        Optional<Parameter> definition(String name);
    }

    /**
     * One parameter: its default (text subject to $name expansion, or computed), what kind of
     * value it takes, and the range Postfix's daemons enforce.
     *
     * @param zeroIsNoLimit Postfix documents 0 as "no limit" for this parameter
     */
    record Spec(String name, String value, Computed computed, Kind kind, long min, long max,
            boolean zeroIsNoLimit) {
    }

    private static volatile PostfixDefaults standard;

    private final String hostName;
    private final Map<String, Spec> specs;

    private PostfixDefaults(String hostName) {
        this.hostName = hostName;
        this.specs = table();
    }

    /** The defaults for this machine: myhostname from its host name. */
    public static PostfixDefaults standard() {
        PostfixDefaults d = standard;
        if (d == null) {
            d = forHostName(localHostName());
            standard = d;
        }
        return d;
    }

    /** The defaults for a machine named {@code hostName} (as gethostname() returns it). */
    public static PostfixDefaults forHostName(String hostName) {
        Objects.requireNonNull(hostName, "hostName");
        if (hostName.isEmpty() || hostName.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IllegalArgumentException("unusable host name: " + Printable.quote(hostName));
        }
        return new PostfixDefaults(hostName);
    }

    /** The host name myhostname is derived from. */
    public String hostName() {
        return hostName;
    }

    /** The parameters with a built-in default here. */
    public Set<String> names() {
        return Collections.unmodifiableSet(specs.keySet());
    }

    /**
     * The default as {@code postconf -d} prints it (unexpanded), for parameters whose default
     * is a fixed text; empty for unknown parameters and for computed defaults (myhostname,
     * mydomain, mynetworks and the compatibility-level dependent ones).
     */
    public Optional<String> defaultValue(String name) {
        Spec s = specs.get(name);
        return s == null || s.computed() != null ? Optional.empty() : Optional.of(s.value());
    }

    Spec spec(String name) {
        return specs.get(name);
    }

    boolean has(String name) {
        return specs.containsKey(name);
    }

    // ---------------------------------------------------------------------------------------

    private Map<String, Spec> table() {
        Map<String, Spec> t = new LinkedHashMap<>();
        // --- identity -----------------------------------------------------------------------
        computed(t, "myhostname", Kind.STRING, this::myhostname);
        computed(t, "mydomain", Kind.STRING, PostfixDefaults::mydomain);
        string(t, "myorigin", "$myhostname");
        list(t, "mydestination", "$myhostname, localhost.$mydomain, localhost");
        string(t, "mail_name", "Postfix");
        // Postfix 3.x: the instance name of a multi-instance setup, else "postfix".
        string(t, "syslog_name", "${multi_instance_name?{$multi_instance_name}:{postfix}}");
        string(t, "maillog_file", "");
        string(t, "smtpd_banner", "$myhostname ESMTP $mail_name");
        string(t, "compatibility_level", COMPATIBILITY_LEVEL);
        // --- networks and relay control -----------------------------------------------------
        computed(t, "mynetworks", Kind.LIST, PostfixDefaults::mynetworks);
        // postconf -d: ${{$compatibility_level} <level {2} ? {subnet} : {host}}
        computed(t, "mynetworks_style", Kind.STRING, byLevel("mynetworks_style", "2", "subnet", "host"));
        // postconf -d: ${{$compatibility_level} <level {2} ? {$mydestination} : {}}
        computed(t, "relay_domains", Kind.LIST, byLevel("relay_domains", "2", "$mydestination", ""));
        // postconf -d: ${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, ...}}
        computed(t, "smtpd_relay_restrictions", Kind.LIST, byLevel("smtpd_relay_restrictions", "1", "",
                "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"));
        list(t, "inet_interfaces", "all");
        list(t, "parent_domain_matches_subdomains", "debug_peer_list,fast_flush_domains,mynetworks,"
                + "permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps");
        // --- the tarpit ---------------------------------------------------------------------
        time(t, "smtpd_error_sleep_time", "1s", 0);
        integer(t, "smtpd_soft_error_limit", "10", 1);
        // "stress" is set by master(8) when a service runs out of processes.
        integer(t, "smtpd_hard_error_limit", "${stress?{1}:{20}}", 1);
        integer(t, "smtpd_junk_command_limit", "${stress?{1}:{100}}", 1);
        // --- sizes and timeouts -------------------------------------------------------------
        integer(t, "line_length_limit", "2048", 512);
        time(t, "smtpd_timeout", "${stress?{10}:{300}}s", 1);
        integer(t, "header_size_limit", "102400", 1);
        t.put("message_size_limit", new Spec("message_size_limit", "10240000", null, Kind.LONG, 0,
                Long.MAX_VALUE, true));
        integer(t, "smtpd_recipient_limit", "1000", 1);
        integer(t, "default_process_limit", "100", 1);
        time(t, "smtpd_proxy_timeout", "100s", 1);
        // --- anvil --------------------------------------------------------------------------
        // Postfix: (default_process_limit + 1) / 2, computed when Postfix is built.
        limit(t, "smtpd_client_connection_count_limit", "50");
        limit(t, "smtpd_client_connection_rate_limit", "0");
        limit(t, "smtpd_client_message_rate_limit", "0");
        limit(t, "smtpd_client_recipient_rate_limit", "0");
        limit(t, "smtpd_client_new_tls_session_rate_limit", "0");
        time(t, "anvil_rate_time_unit", "60s", 1);
        // smtpd_client_connection_limit_exceptions (the older name) has an empty default.
        list(t, "smtpd_client_event_limit_exceptions", "${smtpd_client_connection_limit_exceptions:$mynetworks}");
        // --- SMTP dialogue ------------------------------------------------------------------
        bool(t, "smtpd_helo_required", "no");
        bool(t, "smtpd_delay_reject", "yes");
        // Postfix 3.9's default; 3.7.11 says "no" (see class doc).
        string(t, "smtpd_forbid_bare_newline", "normal");
        list(t, "smtpd_forbid_bare_newline_exclusions", "$mynetworks");
        bool(t, "strict_rfc821_envelopes", "no");
        bool(t, "smtpd_reject_unlisted_recipient", "yes");
        bool(t, "allow_percent_hack", "yes");
        bool(t, "swap_bangpath", "yes");
        bool(t, "resolve_dequoted_address", "yes");
        bool(t, "resolve_null_domain", "no");
        bool(t, "disable_vrfy_command", "no");
        // --- TLS ----------------------------------------------------------------------------
        string(t, "smtpd_tls_security_level", "");
        string(t, "smtpd_tls_cert_file", "");
        string(t, "smtpd_tls_key_file", "$smtpd_tls_cert_file");
        list(t, "smtpd_tls_protocols", ">=TLSv1");
        list(t, "smtpd_tls_mandatory_protocols", ">=TLSv1");
        string(t, "smtpd_tls_ciphers", "medium");
        string(t, "smtpd_tls_mandatory_ciphers", "medium");
        list(t, "smtpd_tls_exclude_ciphers", "");
        list(t, "smtpd_tls_mandatory_exclude_ciphers", "");
        bool(t, "smtpd_use_tls", "no");
        bool(t, "smtpd_enforce_tls", "no");
        // --- PROXY protocol (haproxy) -------------------------------------------------------
        string(t, "smtpd_upstream_proxy_protocol", "");
        time(t, "smtpd_upstream_proxy_timeout", "5s", 1);
        return Collections.unmodifiableMap(t);
    }

    private static void string(Map<String, Spec> t, String name, String value) {
        t.put(name, new Spec(name, value, null, Kind.STRING, 0, 0, false));
    }

    private static void list(Map<String, Spec> t, String name, String value) {
        t.put(name, new Spec(name, value, null, Kind.LIST, 0, 0, false));
    }

    private static void bool(Map<String, Spec> t, String name, String value) {
        t.put(name, new Spec(name, value, null, Kind.BOOLEAN, 0, 0, false));
    }

    private static void integer(Map<String, Spec> t, String name, String value, int min) {
        t.put(name, new Spec(name, value, null, Kind.INT, min, Integer.MAX_VALUE, false));
    }

    private static void limit(Map<String, Spec> t, String name, String value) {
        t.put(name, new Spec(name, value, null, Kind.INT, 0, Integer.MAX_VALUE, true));
    }

    private static void time(Map<String, Spec> t, String name, String value, int minSeconds) {
        t.put(name, new Spec(name, value, null, Kind.TIME, minSeconds, Integer.MAX_VALUE, false));
    }

    private static void computed(Map<String, Spec> t, String name, Kind kind, Computed how) {
        t.put(name, new Spec(name, null, how, kind, 0, 0, false));
    }

    /** mail_params.c check_myhostname(). */
    private String myhostname(Context c) {
        if (hostName.indexOf('.') >= 0) {
            return hostName;
        }
        String domain = c.definition("mydomain").isPresent() ? c.expand("mydomain") : "localdomain";
        return hostName + "." + domain;
    }

    /** mail_params.c check_mydomain(): everything after the first dot of $myhostname. */
    private static String mydomain(Context c) {
        String host = c.expand("myhostname");
        int dot = host.indexOf('.');
        return dot < 0 ? "localdomain" : host.substring(dot + 1);
    }

    private static String mynetworks(Context c) {
        String style = c.expand("mynetworks_style");
        Origin origin = c.definition("mynetworks_style").map(Parameter::origin).orElse(Origin.DEFAULT);
        switch (style) {
            case "host":
                return "127.0.0.0/8 [::1]/128";
            case "subnet":
            case "class":
                throw PostfixConfigException.at(origin, "mynetworks", "mynetworks_style = " + style
                        + " makes Postfix compute mynetworks from this host's network interfaces,"
                        + " which Portcullis does not do: set mynetworks explicitly");
            default:
                // mynetworks.c, via name_mask(): the style is case-sensitive.
                throw PostfixConfigException.at(origin, "mynetworks_style", "unknown mynetworks mask style value "
                        + Printable.quote(style) + " in " + Printable.quote(style));
        }
    }

    /** Postfix's {@code ${{$compatibility_level} <level {threshold} ? {below} : {atOrAbove}}}. */
    private static Computed byLevel(String name, String threshold, String below, String atOrAbove) {
        long limit = CompatibilityLevel.parse(threshold);
        return c -> {
            String level = c.expand("compatibility_level");
            long value = CompatibilityLevel.parse(level);
            if (value < 0) {
                Origin origin = c.definition("compatibility_level").map(Parameter::origin).orElse(Origin.DEFAULT);
                throw PostfixConfigException.at(origin, "compatibility_level",
                        "malformed compatibility level syntax: " + Printable.quote(level)
                                + " (needed for the default of " + name + ")");
            }
            return value < limit ? below : atOrAbove;
        };
    }

    /** gethostname(): the kernel's name for this host, not a DNS lookup. */
    static String localHostName() {
        try {
            Path proc = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(proc)) {
                String name = Files.readString(proc).trim();
                if (!name.isEmpty()) {
                    return name;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the JDK's idea of the host name
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
