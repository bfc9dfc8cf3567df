package dev.portcullis.content.check;

import dev.portcullis.content.rules.PostfixTables;
import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Differential test: the same table files and messages through a real Postfix (smtpd ->
 * cleanup -> smtp to smtp-sink) and through the inspector. For every message: the same
 * outcome (the reject reply word for word, discard, or delivery), the same lines logged by
 * the catch-all WARN rules (which table saw which key), and for delivered messages the
 * same bytes after IGNORE/PREPEND/REPLACE (Postfix's own Received header aside).
 */
class PostfixOracleTest {

    static final String HEADER_CHECKS = """
            /^Subject: .*viagra/          REJECT 5.7.1 No pharmacy spam
            /^Subject: discard me/        DISCARD
            /^Subject: soft/              REJECT 4.7.1 try later
            /^Subject: plain reject/      REJECT
            /^X-Mailer: BadMailer/        IGNORE
            /^Subject: (.*) \\[tag\\]$/   REPLACE Subject: [SPAM] $1
            /^X-Spam-Flag:/               PREPEND X-Filtered: yes
            /^Content-Type: application\\/x-msdownload/ REJECT 5.7.1 No executables
            /^Content-Disposition: .*filename="?[^"]*\\.(exe|scr)/ REJECT 5.7.1 Attachment type $1 not allowed
            /^From: .*@inner-spam\\.example/ REJECT nested spam
            /^(.*)$/                      WARN seen
            """;

    static final String BODY_CHECKS = """
            /^click here to win/          REJECT body spam
            /^remove this line$/          IGNORE
            /^replace (this) line$/       REPLACE replaced $1 line
            /^prepend before me$/         PREPEND a prepended line
            /^(.*)$/                      WARN seen
            """;

    static final List<String> CASES = List.of(
            // 0 plain, all rules fall through to WARN
            """
            Subject: hello
              folded part
            X-Mailer: GoodMailer

            first line

            second line
            """,
            // 1 header reject
            "Subject: cheap viagra\n\nbody\n",
            // 2 discard
            "Subject: discard me\n\nbody\n",
            // 3 soft reject
            "Subject: soft\n\nbody\n",
            // 4 default reject text
            "Subject: plain reject\n\nbody\n",
            // 5 rewrites in headers and body
            """
            Subject: great offer [tag]
            X-Mailer: BadMailer 2.0
            X-Spam-Flag: YES

            keep me
            remove this line
            replace this line
            prepend before me
            last line
            """,
            // 6 body reject after some lines
            "Subject: body\n\nhello\nclick here to win a prize\nnever seen\n",
            // 7 multipart with a nested message and an executable attachment name in MIME headers
            """
            Subject: multipart
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="BB"

            preamble
            --BB
            Content-Type: text/plain
            X-Part: yes

            part one
            --BB
            Content-Type: message/rfc822

            From: someone@inner.example
            Subject: inner subject

            inner body
            --BB--
            epilogue
            """,
            // 8 MIME header reject in a part
            """
            Subject: attachment
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XX"

            --XX
            Content-Type: text/plain

            see attached
            --XX
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename="invoice.exe"

            TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
            --XX--
            """,
            // 9 nested header reject
            """
            Subject: forwarded
            MIME-Version: 1.0
            Content-Type: message/rfc822

            From: boss@inner-spam.example
            Subject: hi

            nested body
            """,
            // 10 malformed header line starts the body, base64 body lines
            """
            Subject: malformed
            This line is not a header
            X-After: looks like a header

            body after
            """);

    static RealPostfix postfix;
    static SmtpSink sink;
    static Path dir;
    static RuleSet rules;

    @BeforeAll
    static void start() throws IOException {
        assumeTrue(RealPostfix.available() && SmtpSink.available(), "needs Postfix, smtp-sink and root");
        dir = Files.createTempDirectory("content-oracle");
        Path hc = Files.writeString(dir.resolve("header_checks"), HEADER_CHECKS);
        Path bc = Files.writeString(dir.resolve("body_checks"), BODY_CHECKS);
        // Postfix daemons run as the mail owner and must read the tables.
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        sink = new SmtpSink().start();
        postfix = RealPostfix.started(Map.of(
                "header_checks", "regexp:" + hc,
                "body_checks", "regexp:" + bc,
                "relay_transport", "smtp:[127.0.0.1]:" + sink.port(),
                "smtp_tls_security_level", "none"));
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        Table h = PostfixTables.open("regexp:" + hc);
        t.put(Checks.HEADER, List.of(h));
        t.put(Checks.MIME, List.of(h));
        t.put(Checks.NESTED, List.of(h));
        t.put(Checks.BODY, List.of(PostfixTables.open("regexp:" + bc)));
        rules = new RuleSet(t);
    }

    @AfterAll
    static void stop() throws IOException {
        if (postfix != null) {
            postfix.close();
        }
        if (sink != null) {
            sink.close();
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static byte[] message(int n) {
        String m = "From: case" + n + "@example.com\nTo: rcpt@relay.example\nDate: Tue, 1 Dec 2026 08:00:00 +0000\n"
                + "Message-ID: <case" + n + "@example.com>\n" + CASES.get(n);
        return m.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sameVerdictsAsPostfix() throws IOException {
        int delivered = 0;
        for (int n = 0; n < CASES.size(); n++) {
            byte[] msg = message(n);
            Verdict ours = InspectorTest.POSTFIX.inspect(msg, rules);
            SmtpTestClient.Reply reply = send(msg, "case" + n + "@example.com");
            String marker = "from=<case" + n + "@example.com>";
            postfix.awaitMaillog(l -> l.contains(marker) && (l.contains(": reject: ") || l.contains(": discard: ")
                    || l.contains("postfix/qmgr")), Duration.ofSeconds(60));
            List<String> logged = warnings(marker);
            String what = "case " + n + ": " + CASES.get(n);
            assertTrue(!logged.isEmpty(), "every case logs a catch-all WARN: " + what);
            assertEquals(logged, ourWarnings(ours), what);
            switch (ours.decision()) {
                case REJECT -> assertEquals(ours.reply().toString(), reply.lastLine(), what);
                case DISCARD -> {
                    assertEquals(250, reply.code(), what);
                    assertEquals(1, postfix.maillogLines().stream()
                            .filter(l -> l.contains(marker) && l.contains(": discard: ")).count(), what);
                }
                case ACCEPT -> {
                    assertEquals(250, reply.code(), what);
                    delivered++;
                    // The sink's file exists from RCPT on: wait until Postfix saw its 250 for ".".
                    String qmgr = postfix.maillogLines().stream()
                            .filter(l -> l.contains(marker) && l.contains("postfix/qmgr")).findFirst().orElseThrow();
                    Matcher q = Pattern.compile("postfix/qmgr\\[\\d+\\]: ([0-9A-F]+): from=").matcher(qmgr);
                    assertEquals(true, q.find(), qmgr);
                    String queueId = q.group(1);
                    postfix.awaitMaillog(l -> l.contains(queueId + ": to=<") && l.contains("status=sent"),
                            Duration.ofSeconds(60));
                    List<byte[]> got = sink.awaitMessages(delivered, Duration.ofSeconds(60));
                    String postfixCopy = withoutFirstHeader(new String(SmtpSink.content(got.get(delivered - 1)),
                            StandardCharsets.UTF_8));
                    String ourCopy = new String(Rewriter.apply(msg, ours), StandardCharsets.UTF_8).replace("\r\n", "\n");
                    assertEquals(postfixCopy, ourCopy, what);
                }
            }
        }
    }

    /**
     * Which table sees which line under body_checks_size_limit and with MIME processing
     * off: tables that only WARN with their own tag (mime_header_checks as a pcre: table),
     * the same corpus, Postfix's log against the inspector's actions.
     */
    @Test
    void sameLinesSeenUnderSizeLimitAndWithoutMime() throws IOException {
        Path hc = Files.writeString(dir.resolve("tag_header"), "/^(.*)$/ WARN HC\n");
        Path mhc = Files.writeString(dir.resolve("tag_mime"), "/^(.*)$/ WARN MHC\n");
        Path nhc = Files.writeString(dir.resolve("tag_nested"), "/^(.*)$/ WARN NHC\n");
        Path bc = Files.writeString(dir.resolve("tag_body"), "/^(.*)$/ WARN BC\n");
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        t.put(Checks.HEADER, List.of(PostfixTables.open("regexp:" + hc)));
        t.put(Checks.MIME, List.of(PostfixTables.open("pcre:" + mhc)));
        t.put(Checks.NESTED, List.of(PostfixTables.open("regexp:" + nhc)));
        t.put(Checks.BODY, List.of(PostfixTables.open("regexp:" + bc)));
        RuleSet tags = new RuleSet(t);
        record Setting(String name, String value, Inspector.Limits limits) {
        }
        for (Setting setting : List.of(
                new Setting("body_checks_size_limit", "20", new Inspector.Limits(102400, 20, false)),
                new Setting("disable_mime_input_processing", "yes", new Inspector.Limits(102400, 51200, true)))) {
            try (RealPostfix p = RealPostfix.started(Map.of("header_checks", "regexp:" + hc,
                    "mime_header_checks", "pcre:" + mhc, "nested_header_checks", "regexp:" + nhc,
                    "body_checks", "regexp:" + bc, setting.name(), setting.value()))) {
                Inspector inspector = new Inspector(setting.limits());
                long skipped = 0;
                for (int n = 0; n < CASES.size(); n++) {
                    byte[] msg = message(n);
                    String marker = "from=<case" + n + "@example.com>";
                    assertEquals(250, send(p, msg, "case" + n + "@example.com").code());
                    p.awaitMaillog(l -> l.contains(marker) && l.contains("postfix/qmgr"), Duration.ofSeconds(60));
                    List<String> ours = new ArrayList<>();
                    Verdict v = inspector.inspect(msg, tags);
                    skipped += v.stats().bodyLinesSkipped();
                    for (Verdict.Fired f : v.actions()) {
                        ours.add(f.text() + " " + f.line());
                    }
                    assertTrue(ours.size() >= 5, "every case has headers to see: " + ours);
                    assertEquals(tagged(p, marker), ours, setting + " case " + n + ": " + CASES.get(n));
                }
                if (setting.limits().bodyChecksSizeLimit() == 20) {
                    assertTrue(skipped > 5, "the limit cut some lines: " + skipped);
                }
            }
        }
    }

    /** A header longer than header_size_limit is looked up cut, folding counted without CR. */
    @Test
    void longHeaderIsLookedUpCutAtHeaderSizeLimit() throws IOException {
        Path hc = Files.writeString(dir.resolve("long_header"), "/^(.*)$/ WARN HC\n");
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        t.put(Checks.HEADER, List.of(PostfixTables.open("regexp:" + hc)));
        RuleSet tags = new RuleSet(t);
        String subject = "Subject: " + "word ".repeat(12) + "\n\t" + "more ".repeat(12) + "\n  " + "tail ".repeat(20);
        String m = "From: long@example.com\nTo: rcpt@relay.example\nDate: Tue, 1 Dec 2026 08:00:00 +0000\n"
                + "Message-ID: <long@example.com>\n" + subject + "\n\nbody\n";
        byte[] msg = m.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        try (RealPostfix p = RealPostfix.started(Map.of("header_checks", "regexp:" + hc, "header_size_limit", "100"))) {
            assertEquals(250, send(p, msg, "long@example.com").code());
            String marker = "from=<long@example.com>";
            p.awaitMaillog(l -> l.contains(marker) && l.contains("postfix/qmgr"), Duration.ofSeconds(60));
            Verdict v = new Inspector(new Inspector.Limits(100, 51200, false)).inspect(msg, tags);
            List<String> ours = new ArrayList<>();
            v.actions().forEach(f -> ours.add(f.text() + " " + f.line()));
            assertEquals(1, v.stats().headersTruncated());
            assertEquals(tagged(p, marker), ours);
        }
    }

    /** "TAG KEY" for each WARN Postfix logged for one message (its own Received: aside). */
    static List<String> tagged(RealPostfix p, String marker) {
        Pattern w = Pattern.compile(": warning: (?:header|body) (.*) from unknown\\[127\\.0\\.0\\.1\\]; .*: ([A-Z]+)$");
        List<String> out = new ArrayList<>();
        for (String line : p.maillogLines()) {
            Matcher m = w.matcher(line);
            if (line.contains(marker) && m.find() && !m.group(1).startsWith("Received: from ")) {
                out.add(m.group(2) + " " + m.group(1));
            }
        }
        return out;
    }

    /** "header KEY" / "body KEY" for each WARN seen that Postfix logged for one message. */
    static List<String> warnings(String marker) {
        Pattern p = Pattern.compile(": warning: (header|body) (.*) from unknown\\[127\\.0\\.0\\.1\\]; .*: seen$");
        List<String> out = new ArrayList<>();
        for (String line : postfix.maillogLines()) {
            Matcher m = p.matcher(line);
            if (line.contains(marker) && m.find() && !m.group(2).startsWith("Received: from ")) {
                out.add(m.group(1) + " " + m.group(2));
            }
        }
        return out;
    }

    static List<String> ourWarnings(Verdict v) {
        List<String> out = new ArrayList<>();
        for (Verdict.Fired f : v.actions()) {
            if (f.action() == ActionKind.WARN) {
                out.add((f.checks().equals("body_checks") ? "body " : "header ") + f.line());
            }
        }
        return out;
    }

    static SmtpTestClient.Reply send(byte[] msg, String sender) throws IOException {
        return send(postfix, msg, sender);
    }

    static SmtpTestClient.Reply send(RealPostfix to, byte[] msg, String sender) throws IOException {
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", to.port(), Duration.ofSeconds(60))) {
            c.readReply();
            c.command("EHLO client.example");
            c.command("MAIL FROM:<" + sender + ">");
            SmtpTestClient.Reply rcpt = c.command("RCPT TO:<rcpt@relay.example>");
            assertEquals(250, rcpt.code(), rcpt.toString());
            c.command("DATA");
            String text = new String(msg, StandardCharsets.UTF_8).replace("\r\n.", "\r\n..");
            c.sendRaw((text + ".\r\n").getBytes(StandardCharsets.UTF_8));
            SmtpTestClient.Reply r = c.readReply();
            c.command("QUIT");
            return r;
        }
    }

    /** The message without Postfix's own first header (its Received: with continuation lines). */
    static String withoutFirstHeader(String s) {
        int nl = s.indexOf('\n');
        while (nl >= 0 && nl + 1 < s.length() && (s.charAt(nl + 1) == ' ' || s.charAt(nl + 1) == '\t')) {
            nl = s.indexOf('\n', nl + 1);
        }
        return s.substring(nl + 1);
    }
}
