package dev.portcullis.edge.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class NextHopTest {

    @Test
    void parsesHostsPortsAndBracketedIpv6() {
        assertEquals(List.of(new NextHop("mx1.example.net", 25), new NextHop("10.0.0.2", 2525),
                        new NextHop("::1", 10025)),
                NextHop.parseList("mx1.example.net:25, 10.0.0.2:2525 ,[::1]:10025"));
        assertEquals("[::1]:25", new NextHop("::1", 25).toString());
        assertEquals("mx:25", new NextHop("mx", 25).authority());
    }

    /*
     * Input and the part of the message that must name what is wrong, side by side.
     * A table in a plain @Test, not @ParameterizedTest: with quarkus-junit5's extension
     * autodetection, Kafka's ClusterTestExtensions (kafka-test-common-runtime, via testkit)
     * claims every test template in this module and fails it.
     */
    private static final String[] BAD = {
            "mx1:25,mx2             | bad next hop \"mx2\": expected host:port",
            "mx1:25,,mx2:25         | empty entry",
            "mx1:0                  | bad next hop \"mx1:0\": next hop: port out of range",
            "mx1:65536              | port out of range",
            "mx1:smtp               | bad next hop \"mx1:smtp\": port is not a number",
            "::1:25                 | an IPv6 address needs brackets",
            "[::1:25                | missing ']'",
            "[::1]25                | expected ':port' after ']'",
            "[mx1]:25               | brackets are for IPv6 addresses only",
            ":25                    | bad next hop \":25\": empty host",
            "mx 1:25                | bad character in host",
    };

    @Test
    void rejectsBadEntriesNamingThem() {
        for (String row : BAD) {
            String input = row.substring(0, row.indexOf('|')).strip();
            String expected = row.substring(row.indexOf('|') + 1).strip();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NextHop.parseList(input), input);
            assertTrue(e.getMessage().contains(expected), input + " -> " + e.getMessage());
        }
    }

    @Test
    void rejectsEmptyListAndCapsQuotedInput() {
        assertThrows(IllegalArgumentException.class, () -> NextHop.parseList("  "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NextHop.parseList("x".repeat(5000) + "\u0001"));
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }
}
