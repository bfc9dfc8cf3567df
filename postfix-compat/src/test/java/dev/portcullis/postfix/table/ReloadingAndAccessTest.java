package dev.portcullis.postfix.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingAndAccessTest {

    @TempDir
    Path dir;

    private static String value(LookupTable t, String key) {
        return t.find(key).map(TableMatch::value).orElse(null);
    }

    @Test
    void reloadsChangedFileAndKeepsLastGoodOnError() throws Exception {
        Path f = dir.resolve("header_checks");
        Files.writeString(f, "/spam/ REJECT one\n");
        ReloadingTable t = new ReloadingTable("regexp:" + f, Tables.Mode.STRICT);
        assertEquals("REJECT one", value(t, "spam"));
        assertFalse(t.reload());

        Files.writeString(f, "/spam/ REJECT two\n");
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertTrue(t.reload());
        assertEquals("REJECT two", value(t, "spam"));

        Files.writeString(f, "/spam/ REJECT three\n/(broken/ x\n");
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertFalse(t.reload());
        assertEquals("REJECT two", value(t, "spam"));
        assertEquals(f + ":2: Unmatched ( or \\(", t.lastError().orElseThrow());
        assertEquals(1, t.reloads());

        Files.delete(f);
        assertFalse(t.reload());
        assertEquals("REJECT two", value(t, "spam"));
        assertTrue(t.lastError().isPresent());
    }

    @Test
    void sameSizeEditWithinOneTimestampTickIsSeen() throws Exception {
        Path f = dir.resolve("body_checks");
        Files.writeString(f, "/aaa/ REJECT one\n");
        FileTime t = Files.getLastModifiedTime(f);
        ReloadingTable table = new ReloadingTable("regexp:" + f, Tables.Mode.STRICT);
        Files.writeString(f, "/bbb/ REJECT two\n"); // same size
        Files.setLastModifiedTime(f, t);             // and the same modification time
        assertTrue(table.reload());
        assertEquals("REJECT two", value(table, "bbb"));
        assertEquals(null, value(table, "aaa"));
    }

    @Test
    void accessSearchOrders() {
        AccessSearch parent = AccessSearch.defaults();
        AccessSearch dotted = new AccessSearch(false, "+");
        assertEquals(List.of("1.2.3.4", "1.2.3", "1.2", "1"), parent.clientKeys("1.2.3.4", true));
        assertEquals(List.of("2001:db8::1", "2001:db8:", "2001:db8", "2001"), parent.clientKeys("2001:DB8::1", true));
        assertEquals(List.of("1.2.3.4"), parent.clientKeys("1.2.3.4", false));
        assertEquals(List.of("a.b.example.com", "b.example.com", "example.com", "com"),
                parent.domainKeys("A.b.example.com", true));
        assertEquals(List.of("a.example.com", ".example.com", ".com"), dotted.domainKeys("a.example.com", true));
        assertEquals(List.of("joe+x@example.com", "joe@example.com", "example.com", ".com", "joe+x@", "joe@"),
                dotted.addressKeys("Joe+x@Example.com", true));
        // "example.com" is not a key of a.example.com without the parent style
        assertFalse(dotted.domainKeys("a.example.com", true).contains("example.com"));
    }

    @Test
    void accessSearchOnRealTables() {
        LookupTable hash = Tables.parse("texthash:access", "1.2.3 REJECT net\nexample.com OK dom\nuser@ DUNNO u\n",
                Tables.Mode.STRICT);
        AccessSearch s = AccessSearch.defaults();
        assertEquals("REJECT net", s.client(hash, "1.2.3.99").orElseThrow().value());
        assertEquals("OK dom", s.domain(hash, "mx.Example.COM").orElseThrow().value());
        assertEquals("OK dom", s.address(hash, "joe@sub.example.com").orElseThrow().value());
        assertEquals("DUNNO u", s.address(hash, "user@elsewhere.test").orElseThrow().value());
        // regexp tables get the whole key only
        LookupTable re = Tables.parse("regexp:r", "/^1\\.2\\.3$/ REJECT exact\n", Tables.Mode.STRICT);
        assertTrue(s.client(re, "1.2.3.4").isEmpty());
        LookupTable cidr = Tables.parse("cidr:c", "1.2.3.0/24 REJECT cidr\n", Tables.Mode.STRICT);
        assertEquals("REJECT cidr", s.client(cidr, "1.2.3.4").orElseThrow().value());
    }
}
