package dev.portcullis.content.check;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which table sees which line, and what every action does. The expected key lists are what
 * Postfix 3.7's cleanup looked up for the same messages (WARN rules that log every key).
 */
class InspectorTest {

    /** Every check warns with its own tag on every key. */
    static final RuleSet WARN_ALL = Rules.with(Checks.HEADER, "/^(.*)$/ WARN HC")
            .and(Checks.MIME, "/^(.*)$/ WARN MHC")
            .and(Checks.NESTED, "/^(.*)$/ WARN NHC")
            .and(Checks.BODY, "/^(.*)$/ WARN BC").build();

    static final Inspector POSTFIX = new Inspector(Inspector.Limits.POSTFIX);

    static byte[] crlf(String text) {
        return text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static final String MULTIPART = """
            From: a@example.com
            To: b@example.org
            Subject: hello
              folded part
            MIME-Version: 1.0
            Content-Type: multipart/mixed;
             boundary="BB"

            preamble line
            --BB
            Content-Type: text/plain
            X-Part: yes

            body one

            after blank
            --BB
            Content-Type: message/rfc822

            From: inner@example.com
            Subject: inner subj
            Content-Type: text/plain

            inner body
            --BB--
            epilogue
            """;

    /** "TAG | key" for every lookup that fired. */
    static List<String> seen(Verdict v) {
        return v.actions().stream().map(f -> f.text() + " | " + f.line()).collect(Collectors.toList());
    }

    @Test
    void routesEveryLineToThePostfixTable() {
        Verdict v = POSTFIX.inspect(crlf(MULTIPART), WARN_ALL);
        assertEquals(List.of(
                "HC | From: a@example.com",
                "HC | To: b@example.org",
                "HC | Subject: hello?  folded part",
                "MHC | MIME-Version: 1.0",
                "MHC | Content-Type: multipart/mixed;? boundary=\"BB\"",
                "BC | preamble line",
                "BC | --BB",
                "MHC | Content-Type: text/plain",
                "MHC | X-Part: yes",
                "BC | body one",
                "BC | after blank",
                "BC | --BB",
                "MHC | Content-Type: message/rfc822",
                "NHC | From: inner@example.com",
                "NHC | Subject: inner subj",
                "MHC | Content-Type: text/plain",
                "BC | inner body",
                "BC | --BB--",
                "BC | epilogue"), seen(v));
        assertEquals(Verdict.Decision.ACCEPT, v.decision());
        assertEquals(0, v.stats().mimeErrors());
    }

    @Test
    void foldedHeaderKeyKeepsTheNewlineAndWhitespace() {
        RuleSet r = new Rules().and(Checks.HEADER, "pcre:header_checks",
                "/^Subject: hello\\n  folded part$/ REJECT folded seen").build();
        Verdict v = POSTFIX.inspect(crlf(MULTIPART), r);
        assertEquals(Verdict.Decision.REJECT, v.decision());
        assertEquals("550 5.7.1 folded seen", v.reply().toString());
        assertEquals("header_checks:1", v.rule());
    }

    @Test
    void mimeHeadersOfThePrimaryHeaderAreMimeHeaders() {
        String m = """
                From: a@example.com
                Content-Language: en
                Content-ID: <i@x>
                Content-Description: d
                Content-Disposition: inline
                Content-Transfer-Encoding: 8bit
                Content-MD5: m
                Mime-Version: 1.0
                Content-Type: text/plain
                Not a header line
                X-After: z

                body
                """;
        assertEquals(List.of(
                "HC | From: a@example.com",
                "HC | Content-Language: en",
                "MHC | Content-ID: <i@x>",
                "MHC | Content-Description: d",
                "MHC | Content-Disposition: inline",
                "MHC | Content-Transfer-Encoding: 8bit",
                "HC | Content-MD5: m",
                "MHC | Mime-Version: 1.0",
                "MHC | Content-Type: text/plain",
                "BC | Not a header line",
                "BC | X-After: z",
                "BC | body"), seen(POSTFIX.inspect(crlf(m), WARN_ALL)));
    }

    @Test
    void bodyChecksSizeLimitCountsPerSegment() {
        String m = """
                From: a@example.com
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary="BB"

                pre1 0123456789
                pre2 0123456789
                pre3 0123456789
                --BB
                Content-Type: text/plain

                p1 line1 0123456789
                p1 line2 0123456789
                p1 line3 0123456789
                --BB

                p2 line1 0123456789
                p2 line2 0123456789
                p2 line3 0123456789
                --BB--
                epi1 0123456789
                epi2 0123456789
                """;
        RuleSet r = Rules.with(Checks.BODY, "/^(.*)$/ WARN BC").build();
        Verdict v = new Inspector(new Inspector.Limits(102400, 30, false)).inspect(crlf(m), r);
        // As Postfix 3.7 with body_checks_size_limit = 30.
        assertEquals(List.of("BC | pre1 0123456789", "BC | pre2 0123456789",
                "BC | p1 line1 0123456789", "BC | p1 line2 0123456789",
                "BC | p2 line1 0123456789", "BC | p2 line2 0123456789",
                "BC | --BB--", "BC | epi1 0123456789", "BC | epi2 0123456789"), seen(v));
        assertEquals(5, v.stats().bodyLinesSkipped());
        Verdict unlimited = new Inspector(new Inspector.Limits(102400, 0, false)).inspect(crlf(m), r);
        assertEquals(14, unlimited.actions().size());
    }

    @Test
    void disabledMimeMakesEverythingAfterThePrimaryHeaderBody() {
        Verdict v = new Inspector(new Inspector.Limits(102400, 51200, true)).inspect(crlf(MULTIPART), WARN_ALL);
        List<String> s = seen(v);
        assertEquals("MHC | Content-Type: multipart/mixed;? boundary=\"BB\"", s.get(4));
        assertEquals(List.of("BC | preamble line", "BC | --BB", "BC | Content-Type: text/plain", "BC | X-Part: yes",
                "BC | body one", "BC | after blank", "BC | --BB", "BC | Content-Type: message/rfc822",
                "BC | From: inner@example.com", "BC | Subject: inner subj", "BC | Content-Type: text/plain",
                "BC | inner body", "BC | --BB--", "BC | epilogue"), s.subList(5, s.size()));
    }

    @Test
    void bareLfNulAndEightBit() {
        byte[] m = "From: a@example.com\r\nSubject: caf\u00e9 \u2603\r\n\r\nbody\u0000nul\r\nbare\nlf\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        RuleSet r = Rules.with(Checks.HEADER, "/^Subject: café ☃$/ WARN utf8")
                .and(Checks.BODY, "/^(.*)$/ WARN BC").build();
        assertEquals(List.of("utf8 | Subject: café ☃", "BC | body", "BC | bare", "BC | lf"),
                seen(POSTFIX.inspect(m, r)));
    }

    @Test
    void base64PartsAreInspectedAsSent() {
        String encoded = Base64.getMimeEncoder().encodeToString("buy viagra now".getBytes(StandardCharsets.UTF_8));
        String m = "From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"X\"\n\n"
                + "--X\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + encoded + "\n--X--\n";
        RuleSet r = Rules.with(Checks.BODY, "/viagra/ REJECT decoded\n/^" + encoded.substring(0, 8) + "/ WARN encoded").build();
        Verdict v = POSTFIX.inspect(crlf(m), r);
        assertEquals(Verdict.Decision.ACCEPT, v.decision());
        assertEquals(List.of("encoded | " + encoded), seen(v));
    }

    @Test
    void malformedMimeIsInspectedWithoutFailing() {
        // No closing boundary, a boundary that never appears, a part without a blank line.
        String[] messages = {
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nspam here\n",
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"NEVER\"\n\nspam here\n",
                "From: a@x\nContent-Type: multipart/mixed\n\n--B\nspam here\n",
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nX-Header: spam here\n--B--\n",
                "From: a@x\nContent-Type: message/rfc822\n\nFrom: inner\n\nspam here",
        };
        RuleSet r = Rules.with(Checks.BODY, "/spam here/ REJECT found it")
                .and(Checks.MIME, "/spam here/ REJECT found it in a header").build();
        for (String m : messages) {
            Verdict v = POSTFIX.inspect(crlf(m), r);
            assertEquals(Verdict.Decision.REJECT, v.decision(), m);
        }
        // Garbage that is not a message at all still gets a verdict.
        byte[] junk = new byte[4096];
        new java.util.Random(5).nextBytes(junk);
        assertEquals(Verdict.Decision.ACCEPT, POSTFIX.inspect(junk, Rules.with(Checks.BODY, "/^zzzz$/ REJECT").build()).decision());
    }

    @Test
    void headerLongerThanTheLimitIsLookedUpCut() {
        // Postfix keeps a record (a physical line, or 2048 bytes of one) only while the header
        // is still shorter than header_size_limit: line 1 (9 + 60) stays, line 2 (total 131)
        // stays, line 3 goes.
        String m = "From: a@x\nSubject: " + "word ".repeat(12) + "\n\t" + "more ".repeat(12) + "\n TAIL\n\nbody\n";
        RuleSet r = Rules.with(Checks.HEADER, "/TAIL/ REJECT tail seen\n/more $/ WARN cut").build();
        Verdict v = new Inspector(new Inspector.Limits(100, 51200, false)).inspect(crlf(m), r);
        assertEquals(Verdict.Decision.ACCEPT, v.decision());
        assertEquals(1, v.stats().headersTruncated());
        assertEquals("cut", v.actions().get(0).text());
        // A single line is one record up to 2048 bytes: never cut below that.
        String single = "From: a@x\nSubject: " + "a".repeat(200) + "TAIL\n\nbody\n";
        assertEquals(Verdict.Decision.REJECT,
                new Inspector(new Inspector.Limits(100, 51200, false)).inspect(crlf(single), r).decision());
        String huge = "From: a@x\nSubject: " + "a".repeat(5000) + "TAIL\n\nbody\n";
        Verdict h = new Inspector(new Inspector.Limits(100, 51200, false)).inspect(crlf(huge), r);
        assertEquals(Verdict.Decision.ACCEPT, h.decision(), "the third record starts past the limit");
        assertEquals(1, h.stats().headersTruncated());
    }

    @Test
    void hugeBodyOnlyItsFirstSegmentBytesAreLookedUp() {
        StringBuilder b = new StringBuilder("From: a@x\nSubject: big\n\n");
        for (int i = 0; i < 200_000; i++) {
            b.append("line ").append(i).append(" lorem ipsum dolor sit amet\n");
        }
        b.append("spam at the very end\n");
        RuleSet r = Rules.with(Checks.BODY, "/spam at the very end/ REJECT").build();
        byte[] msg = crlf(b.toString());
        Verdict v = POSTFIX.inspect(msg, r);
        assertEquals(Verdict.Decision.ACCEPT, v.decision(), "past body_checks_size_limit: not inspected, as Postfix");
        assertTrue(v.stats().bodyLinesSkipped() > 190_000);
        Verdict all = new Inspector(new Inspector.Limits(102400, 0, false)).inspect(msg, r);
        assertEquals(Verdict.Decision.REJECT, all.decision());
    }

    @Test
    void emptyBodyLinesAreNeverLookedUp() {
        RuleSet r = Rules.with(Checks.BODY, "/^$/ REJECT empty").build();
        assertEquals(Verdict.Decision.ACCEPT, POSTFIX.inspect(crlf("From: a@x\n\n\n\nx\n\n"), r).decision());
    }

    @Test
    void firstMatchingTableAndRuleWinPerLine() {
        RuleSet r = new Rules()
                .and(Checks.HEADER, "regexp:first", "/^Subject: a/ WARN first-table\n/^From/ DUNNO")
                .and(Checks.HEADER, "regexp:second", "/^Subject/ REJECT second-table\n/^From/ WARN from-second")
                .build();
        Verdict v = POSTFIX.inspect(crlf("From: x@y\nSubject: abc\nSubject: zzz\n\nbody\n"), r);
        assertEquals(List.of(" | From: x@y", "first-table | Subject: abc", "second-table | Subject: zzz"),
                seen(v));
        assertEquals(Verdict.Decision.REJECT, v.decision());
        assertEquals("second:1", v.rule());
    }
}
