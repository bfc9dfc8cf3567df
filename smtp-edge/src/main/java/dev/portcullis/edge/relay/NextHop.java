package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.Untrusted;

import java.util.ArrayList;
import java.util.List;

/**
 * One next-hop MTA the edge relays to: a host name or IP address literal and a TCP port.
 *
 * <p>The text form is {@code host:port}; an IPv6 literal is written in brackets,
 * {@code [::1]:25}, as in Postfix's {@code smtpd_proxy_filter} and {@code relayhost}.
 */
public record NextHop(String host, int port) {

    /** Longest bit of a bad entry quoted back in an error message. */
    private static final int QUOTE_LIMIT = 80;

    public NextHop {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("next hop: empty host");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
            if (!ok) {
                throw new IllegalArgumentException("next hop: bad character in host \"" + quote(host) + "\"");
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("next hop: port out of range 1..65535: " + port);
        }
    }

    /**
     * Parses {@code host:port[,host:port...]}. Entries are separated by commas (white space
     * around them is ignored); each needs an explicit port; IPv6 literals go in brackets.
     *
     * @throws IllegalArgumentException naming the bad entry and what is wrong with it
     */
    public static List<NextHop> parseList(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("next hop list is empty");
        }
        List<NextHop> hops = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("next hop list \"" + quote(text) + "\": empty entry");
            }
            try {
                hops.add(parse(entry));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "bad next hop \"" + quote(entry) + "\": " + e.getMessage(), e);
            }
        }
        return List.copyOf(hops);
    }

    /** Parses one {@code host:port} or {@code [v6]:port} entry. */
    public static NextHop parse(String entry) {
        String host;
        String port;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' after IPv6 address");
            }
            host = entry.substring(1, close);
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException("brackets are for IPv6 addresses only");
            }
            String rest = entry.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("expected ':port' after ']'");
            }
            port = rest.substring(1);
        } else {
            int colon = entry.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("expected host:port");
            }
            host = entry.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("an IPv6 address needs brackets, e.g. [::1]:25");
            }
            port = entry.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port is not a number 1..65535");
        }
        return new NextHop(host, Integer.parseInt(port));
    }

    /** The {@code host:port} form, with brackets around an IPv6 literal. */
    public String authority() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    @Override
    public String toString() {
        return authority();
    }

    static String quote(String s) {
        return Untrusted.printable(s, QUOTE_LIMIT);
    }
}
