package dev.portcullis.content.check;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Messages built to hurt a parser: each still gets a verdict, and the rules still apply. */
class HostileInputTest {

    static final RuleSet RULES = Rules.with(Checks.HEADER, "/^Subject: evil/ REJECT header seen")
            .and(Checks.MIME, "/^X-Deep: bottom/ REJECT deep header seen")
            .and(Checks.BODY, "/^evil body$/ REJECT body seen").build();

    static Verdict inspect(String m) {
        return InspectorTest.POSTFIX.inspect(m.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1), RULES);
    }

    @Test
    void deeplyNestedMultipartsAreWalkedToTheBottom() {
        StringBuilder b = new StringBuilder("From: a@x\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
        int depth = 2_000;
        for (int i = 0; i < depth; i++) {
            b.append("--b").append(i).append("\nContent-Type: multipart/mixed; boundary=\"b").append(i + 1).append("\"\n\n");
        }
        b.append("--b").append(depth).append("\nX-Deep: bottom\n\nhello\n");
        Verdict v = inspect(b.toString());
        assertEquals(Verdict.Decision.REJECT, v.decision());
        assertEquals("550 5.7.1 deep header seen", v.reply().toString());
    }

    @Test
    void manyHeadersAndAHugeFoldedOne() {
        StringBuilder b = new StringBuilder("From: a@x\n");
        for (int i = 0; i < 50_000; i++) {
            b.append("X-H").append(i).append(": v\n");
        }
        b.append("X-Folded: start\n");
        for (int i = 0; i < 20_000; i++) {
            b.append(" continuation ").append(i).append('\n');
        }
        b.append("Subject: evil\n\nbody\n");
        Verdict v = inspect(b.toString());
        assertEquals(Verdict.Decision.REJECT, v.decision(), "the header after them is still looked up");
        assertEquals(1, v.stats().headersTruncated(), "the folded header is cut at header_size_limit");
        assertEquals(50_003, v.stats().headers());
    }

    @Test
    void aVeryLongLineAndNulBytesAndBareCarriageReturns() {
        String m = "From: a@x\nSubject: fine\u0000evil\n\n" + "x".repeat(5_000_000) + "\nbody\rwith bare CR\nevil body\n";
        Verdict v = inspect(m);
        // The Subject key is cut at the NUL ("Subject: fine"); the long line is one key; the
        // body line after it is still inspected (within the limit only if the segment allows).
        assertEquals(Verdict.Decision.ACCEPT, v.decision(), "evil body is past body_checks_size_limit");
        assertTrue(v.stats().bodyLinesSkipped() >= 2);
        Verdict all = new Inspector(new Inspector.Limits(102400, 0, false))
                .inspect(m.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1), RULES);
        assertEquals("550 5.7.1 body seen", all.reply().toString());
    }

    @Test
    void boundaryGamesDoNotHideBodyLines() {
        // A boundary that is a prefix of another, an empty boundary parameter, a part that
        // never ends, and a second closing delimiter.
        String[] messages = {
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/mixed; boundary=\"ab\"\n\n--ab\n\nevil body\n--ab--\n--a--\n",
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n\nevil body\n----\n",
                "From: a@x\nContent-Type: multipart/mixed; boundary=\"z\"\n\n--z\n\nfine\n--z--\n--z--\nevil body\n",
                "From: a@x\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\n" + "line\n".repeat(100) + "evil body\n",
        };
        for (String m : messages) {
            assertEquals(Verdict.Decision.REJECT, new Inspector(new Inspector.Limits(102400, 0, false))
                    .inspect(m.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1), RULES).decision(), m);
        }
    }

    @Test
    void onlyHeadersNoBodyNoNewline() {
        assertEquals(Verdict.Decision.REJECT, inspect("From: a@x\nSubject: evil").decision());
        assertEquals(Verdict.Decision.ACCEPT, inspect("\n\n\n").decision());
        assertEquals(Verdict.Decision.REJECT, inspect("evil body").decision(), "no header at all: all body");
    }
}
