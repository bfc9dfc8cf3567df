package dev.portcullis.ban.config;

import dev.portcullis.events.Decision;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One blocklist as configured ({@link BlocklistsConfig}).
 *
 * @param name      the section name; its decisions have origin {@code blocklist:<name>}
 * @param type      {@code cidr}: a list of networks; {@code country}: an RIR delegated-stats file
 * @param file      the list (resolved against the directory of the blocklists file)
 * @param countries for {@code country}: the ISO 3166 codes whose blocks are listed
 * @param action    ban (the usual) or allow (an allowlist: exceptions that win over bans)
 * @param ports     the TCP ports its decisions cover; empty = every port (but {@code exceptPorts})
 * @param reason    the reason its decisions carry
 * @param line      where the section starts, for messages
 * @param exceptPorts {@code port = !80,443}: every port but these (then {@code ports} is empty)
 */
public record BlocklistSpec(String name, Type type, Path file, Set<String> countries, Decision.Action action,
                            List<Integer> ports, String reason, int line, List<Integer> exceptPorts) {

    public enum Type { CIDR, COUNTRY }

    public BlocklistSpec {
        countries = Set.copyOf(countries);
        ports = List.copyOf(ports);
        exceptPorts = exceptPorts == null ? List.of() : List.copyOf(exceptPorts);
        if (!ports.isEmpty() && !exceptPorts.isEmpty()) {
            throw new IllegalArgumentException("a blocklist has ports or except-ports, not both");
        }
    }

    /** On the listed ports only (every port when empty). */
    public BlocklistSpec(String name, Type type, Path file, Set<String> countries, Decision.Action action,
                         List<Integer> ports, String reason, int line) {
        this(name, type, file, countries, action, ports, reason, line, List.of());
    }

    public String origin() {
        return "blocklist:" + name;
    }
}
