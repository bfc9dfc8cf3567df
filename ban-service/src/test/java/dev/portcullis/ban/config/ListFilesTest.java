package dev.portcullis.ban.config;

import dev.portcullis.events.Cidr;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListFilesTest {

    @TempDir
    Path dir;

    private static List<String> texts(java.util.Collection<Cidr> c) {
        return c.stream().map(Cidr::toString).toList();
    }

    @Test
    void rangesSplitLikePythonsIpaddress() {
        Assumptions.assumeTrue(Fail2banOracle.pythonAvailable(), "python3 not installed");
        Random r = new Random(42);
        List<long[]> ranges = new ArrayList<>();
        ranges.add(new long[] {0x01000000L, 768});          // 1.0.0.0, 768: not a power of two
        ranges.add(new long[] {0x0A000080L, 384});          // unaligned start
        ranges.add(new long[] {0xFFFFFF00L, 256});          // up to the last address
        ranges.add(new long[] {0L, 1});
        for (int i = 0; i < 40; i++) {
            long start = r.nextLong(0, 1L << 32);
            long count = 1 + r.nextLong(0, Math.min(1L << 20, (1L << 32) - start));
            ranges.add(new long[] {start, count});
        }
        StringBuilder py = new StringBuilder("import ipaddress\n");
        for (long[] g : ranges) {
            py.append("print(' '.join(str(n) for n in ipaddress.summarize_address_range(ipaddress.IPv4Address(")
                    .append(g[0]).append("), ipaddress.IPv4Address(").append(g[0] + g[1] - 1).append("))))\n");
        }
        String[] expected = Fail2banOracle.run(py.toString()).strip().split("\n");
        for (int i = 0; i < ranges.size(); i++) {
            long[] g = ranges.get(i);
            assertEquals(expected[i].strip(), String.join(" ", texts(ListFiles.rangeToCidrs(g[0], g[0] + g[1] - 1))),
                    "range " + g[0] + " + " + g[1]);
        }
    }

    @Test
    void shippedDelegatedExampleIsReadAsTheRegistriesWriteIt() {
        Set<Cidr> zz = ListFiles.readDelegated(Path.of("../config/blocklists/delegated-example.txt"), Set.of("ZZ"));
        // 192.0.2.0 + 64 addresses; 198.51.100.64 + 192 (not a power of two); the reserved line and the asn skipped
        assertEquals(List.of("192.0.2.0/26", "198.51.100.64/26", "198.51.100.128/25", "2001:db8:1::/48"), texts(zz));
        assertTrue(ListFiles.readDelegated(Path.of("../config/blocklists/delegated-example.txt"), Set.of("FR")).isEmpty());
    }

    @Test
    void realRegistryLayoutWithExtendedFields() throws IOException {
        Path f = dir.resolve("delegated-ripencc-extended-latest");
        Files.writeString(f, """
                2.3|ripencc|1764547200|4|19830705|20261130|+0100
                ripencc|*|ipv4|*|3|summary
                ripencc|*|ipv6|*|1|summary
                ripencc|FR|ipv4|2.0.0.0|1048576|20100712|allocated|7c2a1d6e-aaaa-bbbb-cccc-000000000001
                ripencc|RU|ipv4|5.8.8.0|768|20111017|assigned|11111111-2222-3333-4444-555555555555
                ripencc||ipv4|5.9.0.0|256||available|
                ripencc|FR|ipv6|2a01::|16|20050207|allocated|7c2a1d6e-aaaa-bbbb-cccc-000000000001
                ripencc|FR|asn|3215|1|19940922|allocated|7c2a1d6e-aaaa-bbbb-cccc-000000000001
                """);
        assertEquals(List.of("2.0.0.0/12", "2a01::/16"), texts(ListFiles.readDelegated(f, Set.of("FR"))));
        assertEquals(List.of("5.8.8.0/23", "5.8.10.0/24"), texts(ListFiles.readDelegated(f, Set.of("RU"))));
    }

    @Test
    void malformedRegistryLinesNameFileAndLine() throws IOException {
        Path f = dir.resolve("bad");
        Files.writeString(f, "apnic|CN|ipv4|1.0.1.0|256|20110414|allocated\napnic|CN|ipv4|1.0.2.0|many|20110414|allocated\n");
        assertEquals(f + ":2: value \"many\" is not a number",
                assertThrows(ConfigException.class, () -> ListFiles.readDelegated(f, Set.of("CN"))).getMessage());
        Files.writeString(f, "apnic|CN|ipv4|1.0.1\n");
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readDelegated(f, Set.of("CN"))).getMessage()
                .startsWith(f + ":1: expected registry|cc|type"));
        Files.writeString(f, "apnic|CN|ipv4|255.255.255.0|512|20110414|allocated\n");
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readDelegated(f, Set.of("CN"))).getMessage()
                .contains("runs past 255.255.255.255"));
        Files.writeString(f, "apnic|CN|ipv6|2001:db8::1|32|20110414|allocated\n");
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readDelegated(f, Set.of("CN"))).getMessage()
                .contains("host bits set"));
        Files.writeString(f, "apnic|CN|ipv5|1.0.1.0|256|20110414|allocated\n");
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readDelegated(f, Set.of("CN"))).getMessage()
                .contains("unknown type"));
    }

    @Test
    void cidrListsInDropLayout() throws IOException {
        assertEquals(List.of("192.0.2.128/25", "198.51.100.0/26", "2001:db8:dead::/48"),
                texts(ListFiles.readCidrList(Path.of("../config/blocklists/example-drop.txt"))));
        Path f = dir.resolve("list");
        Files.writeString(f, "# comment\n\n198.51.100.7\n192.0.2.0/24 ; SBL1\n192.0.2.0/24\n");
        assertEquals(List.of("198.51.100.7/32", "192.0.2.0/24"), texts(ListFiles.readCidrList(f)));
        Files.writeString(f, "192.0.2.0/24\n192.0.2.7/24\n");
        assertEquals(f + ":2: host bits set in 192.0.2.7/24; the network is 192.0.2.0/24",
                assertThrows(ConfigException.class, () -> ListFiles.readCidrList(f)).getMessage());
        Files.writeString(f, "example.com\n");
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readCidrList(f)).getMessage()
                .startsWith(f + ":1: not an IP address"));
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 0x41, '\n'});
        assertTrue(assertThrows(ConfigException.class, () -> ListFiles.readCidrList(f)).getMessage().contains("UTF-8"));
    }

    @Test
    void blocklistsConfigResolvesFilesAndRefusesBadSections() throws IOException {
        List<BlocklistSpec> shipped = BlocklistsConfig.load(Path.of("../config/blocklists.conf"));
        assertEquals(List.of("example-drop", "example-country", "example-allow"),
                shipped.stream().map(BlocklistSpec::name).toList());
        BlocklistSpec country = shipped.get(1);
        assertEquals(BlocklistSpec.Type.COUNTRY, country.type());
        assertEquals(List.of(), country.ports());
        assertEquals(List.of(80, 443), country.exceptPorts(), "the shipped example drops everything but the web");
        assertEquals(dev.portcullis.events.Decision.Action.ALLOW, shipped.get(2).action());
        Path conf = dir.resolve("lists.conf");
        Files.writeString(conf, "[a]\ntype = country\nfile = lists.conf\n");
        assertTrue(assertThrows(ConfigException.class, () -> BlocklistsConfig.load(conf)).getMessage()
                .startsWith(conf + ":1: [a] type = country needs countries"));
        Files.writeString(conf, "[a]\ntype = cidr\nfile = missing.txt\n");
        assertTrue(assertThrows(ConfigException.class, () -> BlocklistsConfig.load(conf)).getMessage()
                .startsWith(conf + ":3: file = missing.txt"));
        Files.writeString(conf, "[a]\ntype = geo\nfile = lists.conf\n");
        assertTrue(assertThrows(ConfigException.class, () -> BlocklistsConfig.load(conf)).getMessage()
                .startsWith(conf + ":2: type = geo: expected cidr or country"));
        Files.writeString(conf, "[a]\ntype = cidr\nfile = lists.conf\nports = 25\n");
        assertTrue(assertThrows(ConfigException.class, () -> BlocklistsConfig.load(conf)).getMessage()
                .startsWith(conf + ":4: unknown key \"ports\""));
    }

    @Test
    void bangPortListMeansEveryPortButThose() throws IOException {
        Path conf = dir.resolve("lists.conf");
        Files.writeString(conf, "[web]\ntype = cidr\nfile = lists.conf\nport = !http, https\n"
                + "[mail]\ntype = cidr\nfile = lists.conf\nport = smtp,submission\n");
        List<BlocklistSpec> specs = BlocklistsConfig.load(conf);
        assertEquals(List.of(), specs.get(0).ports());
        assertEquals(List.of(80, 443), specs.get(0).exceptPorts());
        assertEquals(List.of(25, 587), specs.get(1).ports());
        assertEquals(List.of(), specs.get(1).exceptPorts());
        record Bad(String port, String message) {
        }
        for (Bad b : List.of(new Bad("!", "! needs the ports to leave out"),
                new Bad("80,!443", "one ! before the whole list"),
                new Bad("!!80", "one ! before the whole list"),
                new Bad("!70000", "port: "),
                new Bad("!nosuchservice", "port: "))) {
            Files.writeString(conf, "[a]\ntype = cidr\nfile = lists.conf\nport = " + b.port() + "\n");
            String m = assertThrows(ConfigException.class, () -> BlocklistsConfig.load(conf)).getMessage();
            assertTrue(m.startsWith(conf + ":4: port: ") && m.contains(b.message()), b.port() + " -> " + m);
        }
    }
}
