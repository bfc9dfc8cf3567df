package dev.portcullis.bench;

import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.Inspector;
import dev.portcullis.content.check.RuleSet;
import dev.portcullis.content.check.Table;
import dev.portcullis.content.check.Verdict;
import dev.portcullis.content.rules.PostfixTables;
import dev.portcullis.postfix.table.Tables;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whole-message throughput of the content filter's inspection (mime4j walk, header_checks,
 * mime_header_checks, nested_header_checks, body_checks with Postfix's routing and
 * body_checks_size_limit) for 10, 100, 1,000 and 10,000 rules, with postfix-compat's
 * regexp tables (RE2/J behind a literal prefilter) against a baseline table that loops
 * java.util.regex over the rules line by line in file order, first match wins - what
 * Postfix's dict_regexp does. Both run under the same inspector, so the difference is the
 * table engine; both must give the same verdicts, and the bench checks that they do.
 *
 * <p>Rules: half in header_checks (also serving mime/nested, as Postfix's $header_checks
 * default), half in body_checks, generated in the style of real tables (subject words,
 * sender domains, mailer names, attachment extensions, URLs, phrases). Corpus: generated
 * messages of four kinds - plain text, multipart/alternative text+HTML, multipart/mixed with
 * a base64 attachment, a forwarded message/rfc822 - with a realistic header block; about 1 in
 * 50 trips a rule.
 *
 * <p>Run: {@code bench/run-content.sh [SECONDS]} (per measurement, default 2; about two
 * minutes in all, most of it the baseline at 10,000 rules).
 */
public final class ContentFilterBench {

    private ContentFilterBench() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        List<byte[]> corpus = corpus(new Random(7), 200);
        long corpusBytes = corpus.stream().mapToLong(m -> m.length).sum();
        System.out.printf(Locale.ROOT, "corpus: %d messages, %.1f KB average, %.1f MB%n", corpus.size(),
                corpusBytes / 1024.0 / corpus.size(), corpusBytes / 1048576.0);
        System.out.printf(Locale.ROOT, "%7s %10s %10s %12s %12s %9s %9s%n", "rules", "ours msg/s", "ours MB/s",
                "j.u.r msg/s", "j.u.r MB/s", "speed-up", "rejects/50");
        Inspector inspector = new Inspector(Inspector.Limits.POSTFIX);
        // JIT warm-up on a mid-size rule set, so the first row is not the compiler's.
        run(inspector, rules(PostfixTables.adapt(Tables.parse("regexp:warm", String.join("\n", headerRules(new Random(3), 50)),
                Tables.Mode.STRICT)), new LoopTable("warm", bodyRules(new Random(4), 50))), corpus, 3);
        Result mimeOnly = run(inspector, RuleSet.empty(), corpus, seconds);
        System.out.printf(Locale.ROOT, "%7d %10.0f %10.1f %12s %12s %9s %9s   (MIME walk alone)%n", 0,
                mimeOnly.messagesPerSecond(), mimeOnly.mbPerSecond(), "-", "-", "-", "-");
        for (int n : new int[] {10, 100, 1_000, 10_000}) {
            List<String> header = headerRules(new Random(n), n / 2);
            List<String> body = bodyRules(new Random(n + 1), n - n / 2);
            RuleSet ours = rules(PostfixTables.adapt(Tables.parse("regexp:header_checks", String.join("\n", header),
                    Tables.Mode.STRICT)), PostfixTables.adapt(Tables.parse("regexp:body_checks",
                    String.join("\n", body), Tables.Mode.STRICT)));
            RuleSet baseline = rules(new LoopTable("header_checks", header), new LoopTable("body_checks", body));
            List<byte[]> sample = corpus.subList(0, 50);
            int rejectsOurs = rejects(inspector, ours, sample);
            int rejectsBase = rejects(inspector, baseline, sample);
            if (rejectsOurs != rejectsBase) {
                throw new IllegalStateException(n + " rules: " + rejectsOurs + " rejects with the tables, "
                        + rejectsBase + " with the baseline");
            }
            Result a = run(inspector, ours, corpus, seconds);
            Result b = run(inspector, baseline, corpus, seconds);
            System.out.printf(Locale.ROOT, "%7d %10.0f %10.1f %12.1f %12.2f %8.1fx %9d%n", n, a.messagesPerSecond(),
                    a.mbPerSecond(), b.messagesPerSecond(), b.mbPerSecond(),
                    a.messagesPerSecond() / b.messagesPerSecond(), rejectsOurs);
        }
    }

    record Result(long messages, long bytes, long nanos) {
        double messagesPerSecond() {
            return messages * 1e9 / nanos;
        }

        double mbPerSecond() {
            return bytes * 1e9 / nanos / 1048576.0;
        }
    }

    static Result run(Inspector inspector, RuleSet rules, List<byte[]> corpus, double seconds) {
        // Warm-up: one pass (at least two seconds' worth for the fast engines).
        long warmEnd = System.nanoTime() + (long) (Math.min(2, seconds) * 1e9);
        int i = 0;
        do {
            inspector.inspect(corpus.get(i++ % corpus.size()), rules);
        } while (System.nanoTime() < warmEnd && i < corpus.size() * 20);
        long messages = 0;
        long bytes = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long now;
        do {
            byte[] m = corpus.get((int) (messages % corpus.size()));
            inspector.inspect(m, rules);
            messages++;
            bytes += m.length;
            now = System.nanoTime();
        } while (now < end);
        return new Result(messages, bytes, now - start);
    }

    static int rejects(Inspector inspector, RuleSet rules, List<byte[]> corpus) {
        int n = 0;
        for (byte[] m : corpus) {
            if (inspector.inspect(m, rules).decision() == Verdict.Decision.REJECT) {
                n++;
            }
        }
        return n;
    }

    static RuleSet rules(Table header, Table body) {
        Map<Checks, List<Table>> t = new EnumMap<>(Checks.class);
        t.put(Checks.HEADER, List.of(header));
        t.put(Checks.MIME, List.of(header));
        t.put(Checks.NESTED, List.of(header));
        t.put(Checks.BODY, List.of(body));
        return new RuleSet(t);
    }

    /** Postfix's dict_regexp way: every rule in file order, java.util.regex, first match wins. */
    static final class LoopTable implements Table {
        private final String name;
        private final List<Pattern> patterns = new ArrayList<>();
        private final List<String> values = new ArrayList<>();

        LoopTable(String name, List<String> rules) {
            this.name = name;
            for (String r : rules) {
                int end = r.lastIndexOf('/');
                // regexp_table(5) defaults: case-insensitive; '.' matches a newline (POSIX).
                patterns.add(Pattern.compile(r.substring(1, end), Pattern.CASE_INSENSITIVE | Pattern.DOTALL));
                values.add(r.substring(end + 1).strip());
            }
        }

        @Override
        public String name() {
            return "regexp:" + name;
        }

        @Override
        public Optional<Match> find(String key) {
            for (int i = 0; i < patterns.size(); i++) {
                Matcher m = patterns.get(i).matcher(key);
                if (m.find()) {
                    return Optional.of(new Match(values.get(i), name + ":" + (i + 1)));
                }
            }
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------------ rules

    static final String[] WORDS = {"pills", "meds", "casino", "loan", "crypto", "prize", "winner", "offer", "deal",
        "bonus", "invest", "refund", "invoice", "urgent", "verify", "account", "password", "gift", "lottery", "viagra"};

    /** A rule's word; rule 0's is the one the corpus' spam uses. */
    static String word(Random r, int i) {
        return i == 0 ? WORDS[0] + 0 : WORDS[r.nextInt(WORDS.length)] + i;
    }

    static List<String> headerRules(Random r, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(switch (i % 6) {
                case 0 -> "/^Subject:.*(cheap|free|best) " + word(r, i) + "/ REJECT 5.7.1 Spam subject " + i;
                case 1 -> "/^From:.*@([a-z0-9-]+\\.)*spam" + i + "\\.example/ REJECT 5.7.1 Sender domain " + i;
                case 2 -> "/^X-Mailer:.*BulkTool ?" + i + "/ REJECT 5.7.1 Bulk mailer " + i;
                case 3 -> "/^Content-(Type|Disposition):.*name=\"?[^\"]*\\.x" + i + "\"?/ REJECT 5.7.1 Attachment type " + i;
                case 4 -> "/^Received: from [a-z0-9.-]+\\.badnet" + i + "\\.example/ REJECT 5.7.1 Relay " + i;
                default -> "/^(To|Cc):.*" + word(r, i) + "@/ WARN suspicious recipient " + i;
            });
        }
        return out;
    }

    static List<String> bodyRules(Random r, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(switch (i % 4) {
                case 0 -> "/(click|visit) (here|now) for " + word(r, i) + "/ REJECT 5.7.1 Body phrase " + i;
                case 1 -> "/https?:\\/\\/([a-z0-9-]+\\.)*badsite" + i + "\\.example/ REJECT 5.7.1 URL " + i;
                case 2 -> "/^" + word(r, i) + " [0-9]+ (dollars|euros)/ REJECT 5.7.1 Money phrase " + i;
                default -> "/<a href=\"[^\"]*track" + i + "[^\"]*\">/ WARN tracking link " + i;
            });
        }
        return out;
    }

    // ------------------------------------------------------------------------ corpus

    static final String[] LOREM = ("Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
            + "incididunt ut labore et dolore magna aliqua Ut enim ad minim veniam quis nostrud exercitation ullamco "
            + "laboris nisi ut aliquip ex ea commodo consequat the meeting is moved to Thursday please find the "
            + "report attached and let me know what you think about the numbers").split(" ");

    static List<byte[]> corpus(Random r, int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean spam = i % 50 == 49;
            String m = switch (i % 4) {
                case 0 -> headers(r, i, spam, "text/plain; charset=utf-8") + "\n" + text(r, 40 + r.nextInt(80), spam);
                case 1 -> alternative(r, i, spam);
                case 2 -> attachment(r, i, spam);
                default -> forwarded(r, i, spam);
            };
            out.add(m.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static String headers(Random r, int i, boolean spam, String contentType) {
        StringBuilder b = new StringBuilder();
        for (int h = 0; h < 3; h++) {
            b.append("Received: from mx").append(h).append(".sender").append(i).append(".example (mx").append(h)
                    .append(".sender").append(i).append(".example [192.0.2.").append(h + 1).append("])\n")
                    .append("\tby mx.example.org (Postfix) with ESMTPS id 4Q").append(i).append("X").append(h)
                    .append("\n\tfor <user").append(i).append("@example.org>; Tue, 1 Dec 2026 08:0").append(h)
                    .append(":00 +0000 (UTC)\n");
        }
        b.append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender").append(i).append(".example;\n")
                .append("\ts=sel1; h=from:to:subject:date:message-id;\n\tbh=")
                .append(Base64.getEncoder().encodeToString(new byte[32])).append(";\n\tb=")
                .append(Base64.getEncoder().encodeToString(new byte[96])).append('\n');
        b.append("From: \"Sender ").append(i).append("\" <person").append(i).append("@sender").append(i)
                .append(".example>\n");
        b.append("To: user").append(i).append("@example.org\n");
        b.append("Subject: ").append(spam ? "cheap " + WORDS[0] + "0 today" : "Re: " + LOREM[r.nextInt(LOREM.length)]
                + " " + LOREM[r.nextInt(LOREM.length)] + " report").append('\n');
        b.append("Date: Tue, 1 Dec 2026 08:00:00 +0000\nMessage-ID: <").append(i).append(".").append(r.nextInt(1 << 30))
                .append("@sender").append(i).append(".example>\n");
        b.append("X-Mailer: ").append(r.nextBoolean() ? "Microsoft Outlook 16.0" : "Thunderbird 128.3").append('\n');
        b.append("MIME-Version: 1.0\nContent-Type: ").append(contentType).append('\n');
        return b.toString();
    }

    static String text(Random r, int lines, boolean spam) {
        StringBuilder b = new StringBuilder();
        for (int l = 0; l < lines; l++) {
            int words = 8 + r.nextInt(6);
            for (int w = 0; w < words; w++) {
                b.append(w == 0 ? "" : " ").append(LOREM[r.nextInt(LOREM.length)]);
            }
            b.append('\n');
        }
        if (spam) {
            b.append("click here for ").append(WORDS[0]).append("0 and more\n");
        }
        return b.toString();
    }

    static String alternative(Random r, int i, boolean spam) {
        String t = text(r, 30 + r.nextInt(40), spam);
        StringBuilder html = new StringBuilder("<html><body>\n");
        for (String line : t.split("\n")) {
            html.append("<p style=\"margin:0\">").append(line).append("</p>\n");
        }
        html.append("<a href=\"https://www.example.org/newsletter\">unsubscribe</a>\n</body></html>\n");
        return headers(r, i, spam, "multipart/alternative; boundary=\"alt-" + i + "\"") + "\n"
                + "--alt-" + i + "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + t
                + "--alt-" + i + "\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + html
                + "--alt-" + i + "--\n";
    }

    static String attachment(Random r, int i, boolean spam) {
        byte[] data = new byte[16_384 + r.nextInt(65_536)];
        r.nextBytes(data);
        return headers(r, i, spam, "multipart/mixed; boundary=\"mix-" + i + "\"") + "\n"
                + "This is a multi-part message in MIME format.\n"
                + "--mix-" + i + "\nContent-Type: text/plain; charset=utf-8\n\n" + text(r, 10 + r.nextInt(20), spam)
                + "--mix-" + i + "\nContent-Type: application/pdf; name=\"report-" + i + ".pdf\"\n"
                + "Content-Disposition: attachment; filename=\"report-" + i + ".pdf\"\n"
                + "Content-Transfer-Encoding: base64\n\n" + Base64.getMimeEncoder().encodeToString(data) + "\n"
                + "--mix-" + i + "--\n";
    }

    static String forwarded(Random r, int i, boolean spam) {
        return headers(r, i, spam, "multipart/mixed; boundary=\"fwd-" + i + "\"") + "\n"
                + "--fwd-" + i + "\nContent-Type: text/plain\n\nSee the message below.\n"
                + "--fwd-" + i + "\nContent-Type: message/rfc822\n\n"
                + headers(r, i + 100_000, false, "text/plain") + "\n" + text(r, 20 + r.nextInt(30), spam)
                + "--fwd-" + i + "--\n";
    }
}
