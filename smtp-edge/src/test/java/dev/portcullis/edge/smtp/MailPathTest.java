package dev.portcullis.edge.smtp;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MailPathTest {

    @Test
    void parsesPathAndParameters() throws Exception {
        MailPath p = MailPath.parse("FROM:<a@example.org> size=100 BODY=8BITMIME", "FROM", true);
        assertEquals("a@example.org", p.address());
        assertEquals(Map.of("SIZE", "100", "BODY", "8BITMIME"), p.params());
    }

    @Test
    void leniencyOfStrictRfc821EnvelopesNo() throws Exception {
        assertEquals("a@b", MailPath.parse("from: <a@b>", "FROM", true).address());
        assertEquals("a@b", MailPath.parse("FROM:a@b", "FROM", true).address());
        assertEquals("", MailPath.parse("FROM:<>", "FROM", true).address());
        assertEquals("\"x y\"@b", MailPath.parse("TO:<\"x y\"@b>", "TO", false).address());
    }

    @Test
    void badSyntaxGetsPostfixReplies() {
        assertEquals(501, code("TO:<a@b>", "FROM", true));
        assertEquals("5.5.4", enhanced("FROM", "FROM", true));
        assertEquals("5.1.7", enhanced("FROM:<a@b", "FROM", true));
        assertEquals("5.1.7", enhanced("FROM:<a b@c>", "FROM", true));
        assertEquals("5.1.7", enhanced("FROM:<\"unbalanced@c>", "FROM", true));
        assertEquals("5.1.3", enhanced("TO:<>", "TO", false));
        assertEquals("5.1.3", enhanced("TO:<a\u0001b@c>", "TO", false));
        assertEquals("5.1.3", enhanced("TO:<<a@b>>", "TO", false));
    }

    @Test
    void domainAndLocalPartIgnoreQuotedAt() {
        assertEquals("ours.example", MailPath.domainOf("\"u@theirs.example\"@Ours.Example"));
        assertEquals("\"u@theirs.example\"", MailPath.localPartOf("\"u@theirs.example\"@ours.example"));
        assertEquals("", MailPath.domainOf("postmaster"));
    }

    private static int code(String args, String kw, boolean sender) {
        return assertThrows(MailPath.Invalid.class, () -> MailPath.parse(args, kw, sender)).reply().code();
    }

    private static String enhanced(String args, String kw, boolean sender) {
        return assertThrows(MailPath.Invalid.class, () -> MailPath.parse(args, kw, sender)).reply().enhanced();
    }
}
