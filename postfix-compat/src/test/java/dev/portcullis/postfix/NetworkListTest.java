package dev.portcullis.postfix;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkListTest {

    private static final Origin MAIN_CF_1 = Origin.at("main.cf", 1);

    /** Text to address without DNS; an IPv6 text stays IPv6 even when it is IPv4-mapped. */
    static InetAddress address(String text) throws UnknownHostException {
        if (text.indexOf(':') >= 0) {
            return Inet6Address.getByAddress(null, InetPton.v6(text), -1);
        }
        return InetAddress.getByAddress(InetPton.v4(text));
    }

    /** networks.golden: patterns, client, verdict side by side. */
    @TestFactory
    Stream<DynamicTest> goldenCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : Golden.text("networks.golden").split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split(" \\| ", 3);
            String patterns = f[0];
            String client = f[1];
            String verdict = f[2].replaceFirst(" {2}smtpd$", "");
            tests.add(DynamicTest.dynamicTest(line, () -> {
                if (verdict.startsWith("ERROR ")) {
                    PostfixConfigException e = assertThrows(PostfixConfigException.class,
                            () -> NetworkList.parse("mynetworks", patterns, MAIN_CF_1));
                    assertEquals(verdict.substring("ERROR ".length()), e.getMessage());
                    assertEquals("mynetworks", e.parameter().orElseThrow());
                } else {
                    NetworkList list = NetworkList.parse("mynetworks", patterns, MAIN_CF_1);
                    assertEquals(verdict.equals("MATCH"), list.matches(address(client)), list.toString());
                }
            }));
        }
        assertTrue(tests.size() > 50);
        return tests.stream();
    }

    @Test
    void commentsInAValueAreWarnedAbout() {
        NetworkList list = NetworkList.parse("mynetworks", "10.0.0.0/8 #trusted 127.0.0.1", MAIN_CF_1);
        assertEquals(List.of("main.cf:1: mynetworks: comment at end of line is not supported: #trusted 127.0.0.1"),
                list.warnings());
        assertEquals("mynetworks = 10.0.0.0/8", list.toString());
    }

    @Test
    void fileNamePatterns(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("networks");
        Files.writeString(file, """
                # our networks
                192.0.2.0/24, [2001:db8::]/32
                  !198.51.100.7 198.51.100.0/24
                203.0.113.0/24 # the rest of this line is ignored 10.0.0.0/8
                """);
        NetworkList list = NetworkList.parse("mynetworks", "127.0.0.0/8 " + file, MAIN_CF_1);
        assertTrue(list.matches(address("192.0.2.9")));
        assertTrue(list.matches(address("2001:db8::25")));
        assertFalse(list.matches(address("198.51.100.7")));
        assertTrue(list.matches(address("198.51.100.8")));
        assertTrue(list.matches(address("203.0.113.1")));
        assertFalse(list.matches(address("10.1.1.1")));
        assertEquals(List.of(file + ":4: mynetworks: comment at end of line is not supported:"
                + " # the rest of this line is ignored 10.0.0.0/8"), list.warnings());

        // !/file/name negates every pattern in the file; "!198.51.100.7" becomes a match.
        NetworkList negated = NetworkList.parse("mynetworks", "!" + file + " 0.0.0.0/0", MAIN_CF_1);
        assertFalse(negated.matches(address("192.0.2.9")));
        assertTrue(negated.matches(address("198.51.100.7")));
        assertTrue(negated.matches(address("10.1.1.1")));
    }

    @Test
    void badPatternInAFileNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("networks");
        Files.writeString(file, "192.0.2.0/24\n\n192.0.2.1/24\n");
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> NetworkList.parse("mynetworks", file.toString(), MAIN_CF_1));
        assertEquals(file + ":3: mynetworks: non-null host address bits in \"192.0.2.1/24\","
                + " perhaps you should use \"192.0.2.0/24\" instead", e.getMessage());
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path file = dir.resolve("nope");
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> NetworkList.parse("mynetworks", "127.0.0.1 " + file, MAIN_CF_1));
        assertEquals("main.cf:1: mynetworks: open file " + file + ": No such file or directory", e.getMessage());
    }

    @Test
    void fileIncludingItselfIsCut(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loop");
        Files.writeString(file, "127.0.0.1 " + file + "\n");
        PostfixConfigException e = assertThrows(PostfixConfigException.class,
                () -> NetworkList.parse("mynetworks", file.toString(), MAIN_CF_1));
        assertEquals(file + ":1: mynetworks: /file/name patterns nested more than 8 deep at \"" + file + "\"",
                e.getMessage());
    }

    @Test
    void printsInPostfixNotation() {
        assertEquals("mynetworks = 127.0.0.0/8 !192.0.2.1/32 [::1]/128 [2001:db8::]/32",
                NetworkList.parse("mynetworks", "127.0.0.0/8, !192.0.2.1 [::1] [2001:DB8::]/32", MAIN_CF_1).toString());
    }

    @Test
    void emptyListMatchesNothing() throws Exception {
        NetworkList list = NetworkList.parse("smtpd_client_event_limit_exceptions", " , ", MAIN_CF_1);
        assertTrue(list.isEmpty());
        assertFalse(list.matches(address("127.0.0.1")));
    }
}
