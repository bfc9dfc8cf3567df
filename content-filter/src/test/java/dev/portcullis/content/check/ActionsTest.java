package dev.portcullis.content.check;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every header_checks(5) action, with the reply texts and warnings the real Postfix 3.7 gave
 * for the same table lines.
 */
class ActionsTest {

    static final String MESSAGE = """
            From: a@example.com
            To: b@example.org
            Subject: SUBJ
            X-Mailer: m

            first body line
            BODY
            last body line
            """;

    static byte[] message(String subject, String body) {
        return MESSAGE.replace("SUBJ", subject).replace("BODY", body).replace("\n", "\r\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    static Verdict header(String rule, String subject) {
        return InspectorTest.POSTFIX.inspect(message(subject, "plain"),
                Rules.with(Checks.HEADER, "/^Subject: " + subject + "$/ " + rule).build());
    }

    static Verdict body(String rule, String line) {
        return InspectorTest.POSTFIX.inspect(message("s", line),
                Rules.with(Checks.BODY, "/^" + line + "$/ " + rule).build());
    }

    static String rewritten(byte[] original, Verdict v) {
        return new String(Rewriter.apply(original, v), StandardCharsets.UTF_8).replace("\r\n", "\n");
    }

    @Test
    void rejectRepliesLikePostfix() {
        assertEquals("550 5.7.1 message content rejected", header("REJECT", "r1").reply().toString());
        assertEquals("550 5.7.1 Go away now", header("REJECT Go away now", "r2").reply().toString());
        assertEquals("550 5.7.3 custom code", header("REJECT 5.7.3 custom code", "r3").reply().toString());
        assertEquals("451 4.7.1 soft code", header("REJECT 4.7.1 soft code", "r4").reply().toString());
        assertEquals("550 5.7.1 lower case", header("reject lower case", "r5").reply().toString());
        Verdict v = body("REJECT body spam", "spam line");
        assertEquals(Verdict.Decision.REJECT, v.decision());
        assertEquals("550 5.7.1 body spam", v.reply().toString());
        assertEquals("body_checks:1", v.rule());
    }

    @Test
    void rejectStopsInspection() {
        RuleSet r = Rules.with(Checks.HEADER, "/^To:/ REJECT first\n/^Subject:/ REJECT second")
                .and(Checks.BODY, "/./ WARN body").build();
        Verdict v = InspectorTest.POSTFIX.inspect(message("x", "y"), r);
        assertEquals("550 5.7.1 first", v.reply().toString());
        assertEquals(1, v.actions().size());
        assertTrue(v.edits().isEmpty());
    }

    @Test
    void discardStopsInspectionAndForwardsNothing() {
        RuleSet r = Rules.with(Checks.HEADER, "/^Subject: d/ DISCARD dropped\n/^X-Mailer/ REJECT later")
                .and(Checks.BODY, "/first/ IGNORE").build();
        Verdict v = InspectorTest.POSTFIX.inspect(message("d", "y"), r);
        assertEquals(Verdict.Decision.DISCARD, v.decision());
        assertEquals("header_checks:1", v.rule());
        assertNull(v.reply());
        assertEquals(1, v.actions().size());
    }

    @Test
    void warnInfoDunnoOkChangeNothing() {
        for (String rule : List.of("WARN w", "INFO i", "DUNNO", "OK")) {
            Verdict v = header(rule, "x");
            assertEquals(Verdict.Decision.ACCEPT, v.decision(), rule);
            assertTrue(v.edits().isEmpty(), rule);
            assertTrue(v.addHeaders().isEmpty(), rule);
            assertEquals(1, v.actions().size(), rule);
            assertNull(v.actions().get(0).warning(), rule);
        }
        assertEquals(ActionKind.DUNNO, header("OK", "x").actions().get(0).action());
    }

    @Test
    void ignoreAndStripDeleteTheWholeLogicalHeader() {
        byte[] m = "From: a@x\r\nSubject: one\r\n two\r\nTo: b@y\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8);
        for (String rule : List.of("IGNORE", "STRIP stripped")) {
            Verdict v = InspectorTest.POSTFIX.inspect(m, Rules.with(Checks.HEADER, "/^Subject:/ " + rule).build());
            assertEquals("From: a@x\nTo: b@y\n\nbody\n", rewritten(m, v), rule);
        }
    }

    @Test
    void prependAndReplaceInHeadersAndBody() {
        RuleSet r = Rules.with(Checks.HEADER, "/^Subject: (.*)$/ REPLACE Subject: [SPAM] $1\n/^X-Mailer:/ PREPEND X-Seen: yes")
                .and(Checks.BODY, "/^first/ PREPEND added line\n/^(last) body line$/ REPLACE $1 line replaced\n/^BODY$/ IGNORE")
                .build();
        byte[] m = message("hello", "BODY");
        Verdict v = InspectorTest.POSTFIX.inspect(m, r);
        assertEquals("""
                From: a@example.com
                To: b@example.org
                Subject: [SPAM] hello
                X-Seen: yes
                X-Mailer: m

                added line
                first body line
                last line replaced
                """, rewritten(m, v));
    }

    @Test
    void badRewriteTextsAreWarnedAndTheLineKept() {
        // Postfix: warning: bad PREPEND header text "not a header" in header_checks map -- need "headername: headervalue"
        Verdict v = header("PREPEND not a header", "p");
        assertTrue(v.edits().isEmpty());
        assertTrue(v.actions().get(0).warning().contains("need \"headername: headervalue\""));
        assertTrue(header("REPLACE bogus replacement", "q").edits().isEmpty());
        // In body_checks any text will do.
        assertEquals(1, body("REPLACE not a header", "line").edits().size());
    }

    @Test
    void holdFilterRedirectBccBecomeEnvelopeChangesAndHeaders() {
        RuleSet r = Rules.with(Checks.HEADER, """
                /^From:/ HOLD held for review
                /^To:/ FILTER smtp:[127.0.0.1]:10025
                /^Subject:/ REDIRECT first@example.net
                /^X-Mailer:/ BCC archive@example.net
                """).and(Checks.BODY, """
                /^first/ REDIRECT last@example.net
                /^last/ FILTER relay:[10.0.0.1]
                /^BODY/ BCC audit@example.net
                """).build();
        Verdict v = InspectorTest.POSTFIX.inspect(message("s", "BODY"), r);
        assertEquals(Verdict.Decision.ACCEPT, v.decision());
        assertEquals("held for review", v.hold());
        assertEquals("relay:[10.0.0.1]", v.filter(), "the last FILTER wins");
        assertEquals("last@example.net", v.redirect(), "the last REDIRECT wins");
        assertEquals(List.of("archive@example.net", "audit@example.net"), v.bcc());
        assertEquals(List.of("X-Portcullis-Hold: held for review", "X-Portcullis-Filter: relay:[10.0.0.1]"),
                v.addHeaders());
    }

    @Test
    void malformedFilterRedirectBccAreRefused() {
        Verdict f = header("FILTER nocolon", "f");
        assertNull(f.filter());
        assertEquals("bad FILTER command nocolon -- need transport:destination", f.actions().get(0).warning());
        assertNull(header("REDIRECT nobody", "r").redirect());
        Verdict b = header("BCC", "b");
        assertTrue(b.bcc().isEmpty());
        assertEquals("bad BCC address \"\" -- need user@domain", b.actions().get(0).warning());
    }

    @Test
    void unknownCommandsDeferAndNumericRepliesAreLoggedAndTheMessageKept() {
        // Postfix 3.7 cleanup: "warning: unknown command in header_checks map: DEFER try later"
        for (String rule : List.of("DEFER try later", "450 4.2.0 numeric soft", "554 5.6.0 numeric hard",
                "FROBNICATE now", "421 close")) {
            Verdict v = header(rule, "u");
            assertEquals(Verdict.Decision.ACCEPT, v.decision(), rule);
            assertEquals(ActionKind.UNKNOWN, v.actions().get(0).action(), rule);
            assertEquals("unknown command in header_checks map: " + rule, v.actions().get(0).warning());
        }
    }

    @Test
    void passStopsFurtherInspection() {
        RuleSet r = Rules.with(Checks.HEADER, "/^To:/ PASS trusted\n/^Subject:/ REJECT never").build();
        Verdict v = InspectorTest.POSTFIX.inspect(message("x", "y"), r);
        assertEquals(Verdict.Decision.ACCEPT, v.decision());
        assertEquals(1, v.actions().size());
    }

    @Test
    void editsOfARejectedMessageAreNotReturned() {
        RuleSet r = Rules.with(Checks.HEADER, "/^From:/ IGNORE\n/^To:/ HOLD\n/^Subject:/ REJECT")
                .build();
        Verdict v = InspectorTest.POSTFIX.inspect(message("x", "y"), r);
        assertEquals(Verdict.Decision.REJECT, v.decision());
        assertTrue(v.edits().isEmpty());
        assertTrue(v.addHeaders().isEmpty());
        assertNotNull(v.hold());
    }

    @Test
    void actionParsing() {
        Action a = Action.parse("  replace   Subject: x  ", true);
        assertEquals(ActionKind.REPLACE, a.kind());
        assertEquals("Subject: x", a.text());
        assertNull(a.problem());
        assertEquals("empty PREPEND text", Action.parse("PREPEND", false).problem());
        assertEquals("550 5.7.1 2.0.0 odd", Action.parse("REJECT 2.0.0 odd", true).reply().toString());
    }
}
