package dev.portcullis.edge.restrict;

import dev.portcullis.edge.dns.DnsType;

import java.util.Locale;

/** One DNS question a restriction needs answered before it can be evaluated. */
public record DnsQuery(String name, DnsType type) {

    public DnsQuery {
        name = name.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
    }
}
