package dev.portcullis.ban.config;

import dev.portcullis.events.Decision;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the blocklists file ({@code portcullis.ban.blocklists}, default {@code config/blocklists.conf}),
 * in the same syntax as the jails file ({@link IniFile}). One section per list:
 *
 * <pre>
 * [spamhaus-drop]
 * enabled   = true
 * type      = cidr                      ; cidr (a list of networks) or country (an RIR delegated-stats file)
 * file      = blocklists/drop.txt       ; relative to this file's directory
 * action    = ban                       ; ban, or allow (an allowlist)
 * port      = smtp,submission           ; fail2ban's port syntax; unset = every port
 * reason    = Spamhaus DROP
 *
 * [country-xx]
 * type      = country
 * file      = blocklists/delegated-sample.txt
 * countries = KP CU                     ; ISO 3166 alpha-2 codes
 * </pre>
 * A problem stops the service at start-up as {@code file:line: problem}.
 */
public final class BlocklistsConfig {

    static final Set<String> KEYS = Set.of("enabled", "type", "file", "countries", "action", "port", "reason");

    private BlocklistsConfig() {
    }

    public static List<BlocklistSpec> load(Path path) {
        IniFile ini = IniFile.read(path);
        Path dir = path.toAbsolutePath().getParent();
        List<BlocklistSpec> out = new ArrayList<>();
        for (IniFile.Section s : ini.sections()) {
            for (Map.Entry<String, IniFile.Value> e : s.values().entrySet()) {
                if (!KEYS.contains(e.getKey())) {
                    throw ConfigException.at(ini.file(), e.getValue().line(), "unknown key \"" + e.getKey() + "\" in ["
                            + s.name() + "] (known: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
                }
            }
            if (!JailsConfig.bool(ini, s, "enabled", true)) {
                continue;
            }
            if (!s.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw ConfigException.at(ini.file(), s.line(), "blocklist name \"" + s.name()
                        + "\": use letters, digits, '.', '_' or '-' (at most 64)");
            }
            IniFile.Value typeV = required(ini, s, "type");
            BlocklistSpec.Type type = switch (typeV.text().strip().toLowerCase(Locale.ROOT)) {
                case "cidr" -> BlocklistSpec.Type.CIDR;
                case "country" -> BlocklistSpec.Type.COUNTRY;
                default -> throw ConfigException.at(ini.file(), typeV.line(), "type = " + typeV.text()
                        + ": expected cidr or country");
            };
            IniFile.Value fileV = required(ini, s, "file");
            Path file = dir.resolve(fileV.text().strip()).normalize();
            if (!Files.isRegularFile(file)) {
                throw ConfigException.at(ini.file(), fileV.line(), "file = " + fileV.text() + ": " + file
                        + " is not a readable file");
            }
            Set<String> countries = new TreeSet<>();
            IniFile.Value cc = ini.get(s, "countries").orElse(null);
            if (type == BlocklistSpec.Type.COUNTRY) {
                if (cc == null || cc.text().isBlank()) {
                    throw ConfigException.at(ini.file(), s.line(), "[" + s.name() + "] type = country needs"
                            + " countries = (ISO 3166 codes, e.g. countries = KP CU)");
                }
                for (String c : cc.text().split("[\\s,]+")) {
                    if (!c.matches("[A-Za-z]{2}")) {
                        throw ConfigException.at(ini.file(), cc.line(), "countries: " + ConfigException.quote(c)
                                + " is not a two-letter country code");
                    }
                    countries.add(c.toUpperCase(Locale.ROOT));
                }
            } else if (cc != null) {
                throw ConfigException.at(ini.file(), cc.line(), "countries applies to type = country only");
            }
            IniFile.Value actionV = ini.get(s, "action").orElse(new IniFile.Value("ban", s.line()));
            Decision.Action action = switch (actionV.text().strip().toLowerCase(Locale.ROOT)) {
                case "ban" -> Decision.Action.BAN;
                case "allow" -> Decision.Action.ALLOW;
                default -> throw ConfigException.at(ini.file(), actionV.line(), "action = " + actionV.text()
                        + ": expected ban or allow");
            };
            List<Integer> ports = List.of();
            List<Integer> exceptPorts = List.of();
            IniFile.Value portV = ini.get(s, "port").orElse(null);
            String portText = portV == null ? "" : portV.text().strip();
            if (!portText.isEmpty() && !portText.equalsIgnoreCase("all")) {
                boolean except = portText.startsWith("!");
                String list = except ? portText.substring(1) : portText;
                try {
                    if (list.contains("!")) {
                        throw new IllegalArgumentException("one ! before the whole list (!80,443 = every port but"
                                + " 80 and 443), not before each port");
                    }
                    if (except && list.isBlank()) {
                        throw new IllegalArgumentException("! needs the ports to leave out (!80,443)");
                    }
                    if (except) {
                        exceptPorts = JailsConfig.parsePorts(list);
                    } else {
                        ports = JailsConfig.parsePorts(list);
                    }
                } catch (IllegalArgumentException e) {
                    throw ConfigException.at(ini.file(), portV.line(), "port: " + e.getMessage());
                }
            }
            String reason = ini.get(s, "reason").map(IniFile.Value::text).filter(r -> !r.isBlank())
                    .orElse(type == BlocklistSpec.Type.COUNTRY ? "country block " + String.join(" ", countries)
                            : "listed in " + s.name());
            if (reason.length() > 200) {
                reason = reason.substring(0, 200);
            }
            out.add(new BlocklistSpec(s.name(), type, file, countries, action, ports, reason, s.line(),
                    exceptPorts));
        }
        return List.copyOf(out);
    }

    private static IniFile.Value required(IniFile ini, IniFile.Section s, String key) {
        return ini.get(s, key).filter(v -> !v.text().isBlank()).orElseThrow(() -> ConfigException.at(ini.file(),
                s.line(), "[" + s.name() + "] has no \"" + key + "\""));
    }
}
