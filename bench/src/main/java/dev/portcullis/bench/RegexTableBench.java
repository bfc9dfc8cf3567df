package dev.portcullis.bench;

import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.Tables;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Throughput of postfix-compat's regexp tables (RE2/J behind the one-pass literal
 * prefilter) against the way Postfix runs a table: every rule in turn, first match wins,
 * here with java.util.regex as the per-rule engine. Rule sets of 10, 100, 1,000 and 10,000
 * generated header_checks/body_checks-style rules over a generated corpus of header and body
 * lines (2% of them matched by the table's last rule, the rest by none); then the ReDoS case
 * {@code /(a+)+$/} on 1 KB, 10 KB and 100 KB of 'a', and java.util.regex on the same rule.
 *
 * <p>Run: {@code java -cp bench/target/classes:$(cat bench/target/classpath.txt)
 * dev.portcullis.bench.RegexTableBench [--seconds=2]}. About a minute with the default.
 */
public final class RegexTableBench {

    private RegexTableBench() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = 2;
        for (String a : args) {
            if (a.startsWith("--seconds=")) {
                seconds = Double.parseDouble(a.substring("--seconds=".length()));
            }
        }
        List<String> lines = corpus(new Random(1), 4_000);
        long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
        System.out.printf(Locale.ROOT, "corpus: %d lines, %.1f KB%n", lines.size(), bytes / 1024.0);
        System.out.printf(Locale.ROOT, "%7s %12s %12s %12s %9s %8s%n", "rules", "ours MB/s", "j.u.r MB/s",
                "ours lines/s", "speed-up", "matches");
        for (int n : new int[] {10, 100, 1_000, 10_000}) {
            List<String> rules = rules(new Random(n), n);
            StringBuilder text = new StringBuilder();
            rules.forEach(r -> text.append(r).append('\n'));
            long t0 = System.nanoTime();
            LookupTable table = Tables.parse("regexp:bench" + n, text.toString(), Tables.Mode.STRICT);
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            List<Pattern> baseline = new ArrayList<>();
            for (String r : rules) {
                String re = r.substring(1, r.lastIndexOf('/'));
                baseline.add(Pattern.compile(re, Pattern.CASE_INSENSITIVE | Pattern.DOTALL));
            }
            int oursMatches = 0;
            int baseMatches = 0;
            for (String l : lines) {
                oursMatches += table.find(l).isPresent() ? 1 : 0;
                baseMatches += firstMatch(baseline, l) >= 0 ? 1 : 0;
            }
            if (oursMatches != baseMatches) {
                throw new IllegalStateException("ours " + oursMatches + " matches, baseline " + baseMatches);
            }
            double ours = rate(lines, seconds, l -> table.find(l).isPresent());
            double base = rate(lines, seconds, l -> firstMatch(baseline, l) >= 0);
            System.out.printf(Locale.ROOT, "%7d %12.2f %12.2f %12.0f %8.1fx %8d   (table loaded in %d ms)%n", n,
                    ours * bytes / lines.size() / 1e6, base * bytes / lines.size() / 1e6, ours, ours / base,
                    oursMatches, loadMs);
        }
        redos();
    }

    private static int firstMatch(List<Pattern> rules, String line) {
        for (int k = 0; k < rules.size(); k++) {
            if (rules.get(k).matcher(line).find()) {
                return k;
            }
        }
        return -1;
    }

    /** Lines per second, measured for about {@code seconds} after a warm-up. */
    private static double rate(List<String> lines, double seconds, java.util.function.Predicate<String> f) {
        long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
        int k = 0;
        while (System.nanoTime() < warmEnd) {
            f.test(lines.get(k++ % lines.size()));
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long done = 0;
        while (System.nanoTime() < end) {
            for (int j = 0; j < 16; j++) {
                f.test(lines.get(k++ % lines.size()));
            }
            done += 16;
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }

    private static void redos() throws Exception {
        LookupTable table = Tables.parse("pcre:redos", "/(a+)+$/ REDOS\n", Tables.Mode.STRICT);
        System.out.println();
        System.out.println("ReDoS /(a+)+$/ on a run of 'a' and one '!' (no match):");
        for (int size : new int[] {1_000, 10_000, 100_000}) {
            String key = "a".repeat(size) + "!";
            for (int k = 0; k < 3; k++) {
                table.find(key);
            }
            long best = Long.MAX_VALUE;
            for (int k = 0; k < 5; k++) {
                long s = System.nanoTime();
                table.find(key);
                best = Math.min(best, System.nanoTime() - s);
            }
            System.out.printf(Locale.ROOT, "  ours %7d bytes: %9.3f ms%n", size, best / 1e6);
        }
        Pattern p = Pattern.compile("(a+)+$");
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "juregex-redos");
            t.setDaemon(true);
            return t;
        });
        for (int size : new int[] {16, 20, 24, 28}) {
            String key = "a".repeat(size) + "!";
            long s = System.nanoTime();
            Future<Boolean> f = ex.submit(() -> p.matcher(key).find());
            try {
                f.get(20, TimeUnit.SECONDS);
                System.out.printf(Locale.ROOT, "  java.util.regex %2d bytes: %9.3f ms%n", size, (System.nanoTime() - s) / 1e6);
            } catch (TimeoutException e) {
                System.out.printf(Locale.ROOT, "  java.util.regex %2d bytes: gave up after 20 s%n", size);
                break; // the thread stays busy; it is a daemon and the JVM exits after main
            }
        }
    }

    private static final String[] WORDS = {"meeting", "invoice", "update", "report", "offer", "account", "payment",
        "delivery", "security", "newsletter", "project", "review", "holiday", "order", "ticket", "welcome"};

    /** Header and body lines of ordinary mail, a few of them the kind the rules look for. */
    static List<String> corpus(Random r, int count) {
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            String w = WORDS[r.nextInt(WORDS.length)];
            String w2 = WORDS[r.nextInt(WORDS.length)];
            if (r.nextInt(50) == 0) { // the one rule every table ends with matches 2% of lines
                lines.add("Subject: weekly report #9999 (" + w + ")");
                continue;
            }
            switch (r.nextInt(10)) {
                case 0 -> lines.add("Received: from mail" + r.nextInt(500) + ".example.net (mail.example.net [192.0.2."
                        + r.nextInt(255) + "]) by mx.example.org (Postfix) with ESMTPS id 4Xy" + r.nextInt(99999)
                        + " for <user" + r.nextInt(100) + "@example.org>; Tue, 1 Dec 2026 08:00:00 +0000");
                case 1 -> lines.add("From: \"" + w + " team\" <" + w + r.nextInt(1000) + "@sender" + r.nextInt(3000)
                        + ".example.com>");
                case 2 -> lines.add("Subject: Re: your " + w + " " + w2 + " #" + r.nextInt(100000));
                case 3 -> lines.add("Message-ID: <" + Long.toHexString(r.nextLong()) + "@mx" + r.nextInt(50)
                        + ".example.com>");
                case 4 -> lines.add("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; b="
                        + base64(r, 60));
                case 5 -> lines.add("Content-Type: text/plain; charset=utf-8");
                case 6 -> lines.add(base64(r, 76));
                default -> lines.add("Hello, please find the " + w + " for the " + w2 + " attached; we will send"
                        + " the next " + WORDS[r.nextInt(WORDS.length)] + " on Monday. Regards, team " + r.nextInt(90));
            }
        }
        return lines;
    }

    private static String base64(Random r, int len) {
        String a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        StringBuilder b = new StringBuilder(len);
        for (int k = 0; k < len; k++) {
            b.append(a.charAt(r.nextInt(a.length())));
        }
        return b.toString();
    }

    /**
     * header_checks / body_checks rules as admins write them: sender domains, subjects,
     * mailers, relays, body phrases; one in fifty has no literal the prefilter can use.
     */
    static List<String> rules(Random r, int n) {
        List<String> rules = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            rules.add(switch (k % 50 == 49 ? 5 : r.nextInt(5)) {
                case 0 -> "/^From:.*@spam" + k + "\\.example\\.(com|net)>?$/ REJECT sender " + k;
                case 1 -> "/^Subject:.*(cheap|free) pills " + k + "/ REJECT subject " + k;
                case 2 -> "/^X-Mailer: Bulk ?Mailer v" + k + "/ DISCARD mailer " + k;
                case 3 -> "/^Received: from [^ ]*\\.botnet" + k + "\\.test/ REJECT relay " + k;
                case 4 -> "/buy now at pharmacy" + k + "\\.test/ REJECT body " + k;
                default -> "/^Subject: [A-Z0-9 ]{" + (40 + k % 7) + ",}$/ WARN shouting " + k;
            });
        }
        rules.add("/^Subject:.*report #9999/ WARN real match");
        return rules;
    }
}
