package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.RealPostfix;
import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The restriction lists side by side with a REAL Postfix 3.7: the same main.cf restrictions
 * and the same table files in a Postfix on a loopback port and in an edge (built by hand,
 * relaying to smtp-sink), the same scripted sessions from the same client address, and every
 * reply compared by code and text (a multi-line EHLO reply by its first line; the queue id
 * after the final dot is masked). Three configurations: delayed rejects (Postfix's default),
 * {@code smtpd_delay_reject = no} with {@code smtpd_helo_required}, and the DATA /
 * end-of-data lists with changed reply codes.
 */
class RestrictionsSideBySideTest {

    /** Sends the lines in one write, then reads one reply per line. */
    private static final String PIPE = "PIPE:";
    /** Sends a small message and its final dot, then reads one reply. */
    private static final String MESSAGE = "MESSAGE";

    private static Path dir;
    private static SmtpSink sink;
    private static final Map<String, Pair> pairs = new HashMap<>();

    /** A real Postfix and an edge with the same settings. */
    private record Pair(RealPostfix postfix, HandBuiltEdge edge, Path logFile) {
    }

    @BeforeAll
    static void tables() throws Exception {
        Assumptions.assumeTrue(RealPostfix.available(), "real Postfix not available (needs the postfix package and root)");
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not available");
        dir = Files.createTempDirectory("restrictions-oracle");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        write("client", """
                # client addresses: Postfix's partial-octet search (127.0.21 would match them all)
                127.0.21.1 REJECT
                127.0.21.2 REJECT 5.7.9 go away now
                127.0.21.3 DEFER
                127.0.21.4 450 4.7.2 slow down
                127.0.21.5 550 blocked here
                127.0.21.6 421 bye now
                127.0.21.7 DEFER_IF_PERMIT maybe later
                127.0.21.8 DEFER_IF_REJECT think again
                127.0.21.9 OK
                127.0.21.10 WARN watch it
                127.0.21.11 reject_unauth_destination
                127.0.21.12 BOGUSACTION
                127.0.21.13 DUNNO
                127.0.21.14 12345
                127.0.21.15 521 go
                127.0.21.16 HOLD
                127.0.21.17 5.7.1
                127.0.23.1 REJECT
                127.0.23.6 421 bye now
                127.0.24.2 REJECT
                127.0.24.3 DEFER_IF_PERMIT
                127.0.24.4 DEFER_IF_REJECT not today
                """);
        write("client.cidr", """
                127.0.22.0/24 REJECT cidr says no
                127.0.22.128/25 OK
                """);
        write("helo", """
                bad.helo.example REJECT
                defer.helo.example DEFER
                badparent.example 550 5.7.1 not that family
                """);
        write("sender", """
                spam.example REJECT sender blocked
                nobody@ours.example 550 5.1.8 no such sender
                <> 550 no bounces here
                eod@b.example DUNNO
                """);
        write("rcpt", """
                blocked@ours.example REJECT
                tmp@ours.example DEFER
                ok@elsewhere.example OK
                postmaster@ DUNNO
                """);
        write("rcpt.pcre", """
                /^spamtrap[0-9]+@/ REJECT trapped
                /^(boss)@ours\\.example$/ 550 5.7.1 $1 does not read mail
                """);
        write("local", """
                # local_recipient_maps: full address, local part (local domains only), @domain
                alice@ours.example x
                bob x
                @edge.portcullis.test x
                """);
        write("relay", """
                carol@relay.example x
                """);
        write("virtual", """
                vera@relay.example carol@relay.example
                """);
        write("rcptclass", """
                classy@ours.example strict
                nobody2@ours.example strict
                vip@ours.example lenient
                """);
        write("actions", """
                drop@ours.example DISCARD
                dropmsg@ours.example DISCARD spam trap hit
                redir@ours.example REDIRECT alice@ours.example
                badredir@ours.example REDIRECT nowhere
                tagged@ours.example PREPEND X-Tagged: yes
                badtag@ours.example PREPEND not a header
                copy@ours.example BCC audit@ours.example
                """);
        sink = new SmtpSink().start();
    }

    private static void write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (Pair p : pairs.values()) {
            p.edge().close();
            Files.deleteIfExists(p.logFile());
            p.postfix().close();
        }
        pairs.clear();
        if (sink != null) {
            sink.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Map<String, String> common() {
        Map<String, String> cf = SideBySide.mainCf("relay.example, nofqdn");
        cf.put("smtpd_client_restrictions", "check_client_access texthash:" + dir.resolve("client"));
        cf.put("smtpd_helo_restrictions", "check_helo_access texthash:" + dir.resolve("helo")
                + ", reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname");
        cf.put("smtpd_sender_restrictions", "check_sender_access texthash:" + dir.resolve("sender")
                + ", reject_non_fqdn_sender");
        cf.put("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination");
        cf.put("smtpd_recipient_restrictions", "check_recipient_access texthash:" + dir.resolve("rcpt")
                + ", check_recipient_access pcre:" + dir.resolve("rcpt.pcre")
                + ", check_client_access cidr:" + dir.resolve("client.cidr") + ", reject_non_fqdn_recipient");
        return cf;
    }

    /** Delayed rejects: everything is judged at RCPT. */
    private static Pair delayed() throws Exception {
        return pair("delayed", common());
    }

    /** Rejects at the command that carries the data. */
    private static Pair immediate() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_delay_reject", "no");
        cf.put("smtpd_helo_required", "yes");
        return pair("immediate", cf);
    }

    /** DATA and end-of-data lists, DEFER_IF_PERMIT/REJECT with warn_if_reject, other reply codes. */
    private static Pair dataStage() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_client_restrictions", "");
        cf.put("smtpd_recipient_restrictions", "check_client_access texthash:" + dir.resolve("client")
                + ", warn_if_reject, reject_non_fqdn_recipient, check_recipient_access texthash:" + dir.resolve("rcpt")
                + ", permit_auth_destination, reject");
        cf.put("smtpd_relay_restrictions", "permit_mynetworks, defer_unauth_destination");
        cf.put("smtpd_data_restrictions", "reject_unauth_pipelining, check_client_access texthash:"
                + dir.resolve("client"));
        cf.put("smtpd_end_of_data_restrictions", "check_sender_access inline:{ {eod@b.example=REJECT no thanks} }");
        cf.put("access_map_reject_code", "550");
        cf.put("access_map_defer_code", "451");
        cf.put("non_fqdn_reject_code", "550");
        return pair("data", cf);
    }

    private static synchronized Pair pair(String name, Map<String, String> cf) throws Exception {
        Pair existing = pairs.get(name);
        if (existing != null) {
            return existing;
        }
        RealPostfix postfix = RealPostfix.started(cf);
        Path logFile = Files.createTempFile("restrictions-" + name, ".maillog");
        Pair p = new Pair(postfix, new HandBuiltEdge(cf, "127.0.0.1:" + sink.port(), logFile), logFile);
        pairs.put(name, p);
        return p;
    }

    /** The replies one script gets, rendered for comparison. */
    private static List<String> run(int port, String from, List<String> script) throws IOException {
        List<String> seen = new ArrayList<>();
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port, from, Duration.ofSeconds(15))) {
            try {
                seen.add(SideBySide.render(c.readReply()));
                for (String step : script) {
                    if (step.startsWith(PIPE)) {
                        String[] lines = step.substring(PIPE.length()).split("\n");
                        c.sendRaw((String.join("\r\n", lines) + "\r\n").getBytes(StandardCharsets.UTF_8));
                        for (String line : lines) {
                            seen.add(line + " -> " + SideBySide.render(c.readReply()));
                        }
                    } else if (step.equals(MESSAGE)) {
                        c.sendRaw("Subject: side by side\r\n\r\nhello\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                        seen.add(". -> " + SideBySide.render(c.readReply()));
                    } else {
                        c.send(step);
                        seen.add(step + " -> " + SideBySide.render(c.readReply()));
                    }
                }
            } catch (EOFException | SocketException e) {
                seen.add("<closed>");
                return seen;
            }
            c.timeout(Duration.ofMillis(1500));
            try {
                seen.add("(unsolicited) " + SideBySide.render(c.readReply()));
            } catch (SocketTimeoutException e) {
                // nothing more
            } catch (EOFException | SocketException e) {
                seen.add("<closed>");
            }
        }
        return seen;
    }

    private static void compare(Pair pair, String from, String... script) throws IOException {
        List<String> expected = run(pair.postfix().port(), from, List.of(script));
        List<String> actual = run(pair.edge().port(), from, List.of(script));
        assertEquals(String.join("\n", expected), String.join("\n", actual), "session from " + from);
    }

    private static final String[] RCPT_BOTH = {"EHLO good.example", "MAIL FROM:<a@b.example>",
            "RCPT TO:<x@ours.example>", "RCPT TO:<y@elsewhere.example>", "QUIT"};

    // ---------------------------------------------------------------- check_client_access actions

    @Test
    void clientReject() throws Exception {
        compare(delayed(), "127.0.21.1", RCPT_BOTH);
    }

    @Test
    void clientRejectWithEnhancedCodeAndText() throws Exception {
        compare(delayed(), "127.0.21.2", RCPT_BOTH);
    }

    @Test
    void clientDefer() throws Exception {
        compare(delayed(), "127.0.21.3", RCPT_BOTH);
    }

    @Test
    void clientNumeric4xxWithDsn() throws Exception {
        compare(delayed(), "127.0.21.4", RCPT_BOTH);
    }

    @Test
    void clientNumeric5xxWithoutDsn() throws Exception {
        compare(delayed(), "127.0.21.5", RCPT_BOTH);
    }

    @Test
    void client421Disconnects() throws Exception {
        compare(delayed(), "127.0.21.6", RCPT_BOTH);
    }

    @Test
    void client521Disconnects() throws Exception {
        compare(delayed(), "127.0.21.15", RCPT_BOTH);
    }

    @Test
    void deferIfPermitDefersWhatWouldPassButNotWhatIsRejected() throws Exception {
        compare(delayed(), "127.0.21.7", RCPT_BOTH);
    }

    @Test
    void deferIfRejectDoesNotReachIntoTheRecipientLists() throws Exception {
        compare(delayed(), "127.0.21.8", RCPT_BOTH);
    }

    @Test
    void okEndsOnlyTheClientList() throws Exception {
        compare(delayed(), "127.0.21.9", RCPT_BOTH);
    }

    @Test
    void warnAndHoldAreLoggedOnly() throws Exception {
        compare(delayed(), "127.0.21.10", RCPT_BOTH);
        compare(delayed(), "127.0.21.16", RCPT_BOTH);
    }

    @Test
    void restrictionNameAsTableResult() throws Exception {
        compare(delayed(), "127.0.21.11", RCPT_BOTH);
    }

    @Test
    void unknownTableActionsAreAServerConfigurationError() throws Exception {
        compare(delayed(), "127.0.21.12", RCPT_BOTH);
        compare(delayed(), "127.0.21.17", RCPT_BOTH);
    }

    @Test
    void dunnoAndAllNumericResults() throws Exception {
        compare(delayed(), "127.0.21.13", RCPT_BOTH);
        compare(delayed(), "127.0.21.14", RCPT_BOTH);
    }

    @Test
    void cidrTableFirstMatchInFileOrder() throws Exception {
        compare(delayed(), "127.0.22.1", RCPT_BOTH);
        compare(delayed(), "127.0.22.200", RCPT_BOTH);
    }

    // ---------------------------------------------------------------- HELO

    private static String[] helo(String name) {
        return new String[] {"HELO " + name, "MAIL FROM:<a@b.example>", "RCPT TO:<x@ours.example>", "QUIT"};
    }

    @Test
    void heloAccessRejectDeferAndParentDomain() throws Exception {
        compare(delayed(), "127.0.25.1", helo("bad.helo.example"));
        compare(delayed(), "127.0.25.1", helo("defer.helo.example"));
        compare(delayed(), "127.0.25.1", helo("mx.sub.badparent.example"));
        compare(delayed(), "127.0.25.1", helo("BAD.Helo.Example"));
    }

    @Test
    void invalidAndNonFqdnHeloNames() throws Exception {
        compare(delayed(), "127.0.25.2", helo("bad_host!"));
        compare(delayed(), "127.0.25.2", helo("nodots"));
        compare(delayed(), "127.0.25.2", helo("1.2.3.4"));
        compare(delayed(), "127.0.25.2", helo("[1.2.3.4]"));
        compare(delayed(), "127.0.25.2", helo("[999.1.1.1]"));
        compare(delayed(), "127.0.25.2", helo("-lead.example"));
        compare(delayed(), "127.0.25.2", helo("under_score.example"));
    }

    @Test
    void hostileHeloNames() throws Exception {
        compare(delayed(), "127.0.25.3", helo("a".repeat(64) + ".example"));
        compare(delayed(), "127.0.25.3", helo("b.".repeat(140) + "example"));
        compare(delayed(), "127.0.25.3", helo("two words.example"));
        compare(delayed(), "127.0.25.3", helo("x..example"));
    }

    // ---------------------------------------------------------------- senders and recipients

    private static String[] sender(String address) {
        return new String[] {"EHLO good.example", "MAIL FROM:<" + address + ">", "RCPT TO:<x@ours.example>", "QUIT"};
    }

    @Test
    void senderAccessByDomainParentAndAddress() throws Exception {
        compare(delayed(), "127.0.26.1", sender("u@spam.example"));
        compare(delayed(), "127.0.26.1", sender("u@sub.spam.example"));
        compare(delayed(), "127.0.26.1", sender("nobody@ours.example"));
    }

    @Test
    void nullSenderIsLookedUpAsItsKey() throws Exception {
        compare(delayed(), "127.0.26.2", sender(""));
    }

    @Test
    void nonFqdnSenders() throws Exception {
        compare(delayed(), "127.0.26.3", sender("nofqdn"));
        compare(delayed(), "127.0.26.3", sender("u@nofqdn"));
        compare(delayed(), "127.0.26.3", sender("u@[192.0.2.1]"));
    }

    @Test
    void recipientAccessRelayOrderAndNonFqdn() throws Exception {
        compare(delayed(), "127.0.26.4", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<blocked@ours.example>", "RCPT TO:<tmp@ours.example>", "RCPT TO:<ok@elsewhere.example>",
                "RCPT TO:<r@nofqdn>", "RCPT TO:<nofqdn>", "RCPT TO:<Blocked@OURS.example>",
                "RCPT TO:<user%elsewhere.example@ours.example>", "RCPT TO:<x@relay.example>", "QUIT");
    }

    @Test
    void recipientPcreTable() throws Exception {
        compare(delayed(), "127.0.26.5", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<spamtrap42@ours.example>", "RCPT TO:<boss@ours.example>", "RCPT TO:<bossy@ours.example>",
                "QUIT");
    }

    // ---------------------------------------------------------------- recipient maps and restriction classes

    /** local/relay recipient maps, virtual_alias_maps, restriction classes, smtpd_reject_unlisted_sender. */
    private static Pair recipientMaps() throws Exception {
        Map<String, String> cf = common();
        cf.put("local_recipient_maps", "texthash:" + dir.resolve("local"));
        cf.put("relay_recipient_maps", "texthash:" + dir.resolve("relay"));
        cf.put("virtual_alias_maps", "texthash:" + dir.resolve("virtual"));
        cf.put("recipient_delimiter", "+");
        cf.put("smtpd_reject_unlisted_sender", "yes");
        cf.put("smtpd_restriction_classes", "strict, lenient, heloclass");
        cf.put("strict", "reject_unlisted_recipient, reject");
        cf.put("lenient", "permit");
        cf.put("heloclass", "check_helo_access texthash:" + dir.resolve("helo"));
        cf.put("smtpd_client_restrictions", "");
        cf.put("smtpd_helo_restrictions", "heloclass, reject_non_fqdn_helo_hostname");
        cf.put("smtpd_recipient_restrictions", "check_recipient_access texthash:" + dir.resolve("rcptclass")
                + ", reject_non_fqdn_recipient");
        return pair("rcptmaps", cf);
    }

    /** Changed codes, no table names in the text, no implicit check, the explicit one in the relay list. */
    private static Pair recipientCodes() throws Exception {
        Map<String, String> cf = common();
        cf.put("local_recipient_maps", "texthash:" + dir.resolve("local"));
        cf.put("relay_recipient_maps", "texthash:" + dir.resolve("relay"));
        cf.put("unknown_local_recipient_reject_code", "450");
        cf.put("unknown_relay_recipient_reject_code", "551");
        cf.put("show_user_unknown_table_name", "no");
        cf.put("smtpd_reject_unlisted_recipient", "no");
        cf.put("smtpd_client_restrictions", "");
        cf.put("smtpd_relay_restrictions", "permit_mynetworks, check_recipient_maps, reject_unauth_destination");
        cf.put("smtpd_recipient_restrictions", "");
        return pair("rcptcodes", cf);
    }

    @Test
    void unknownLocalAndRelayRecipientsAreRefusedAsPostfixDoes() throws Exception {
        compare(recipientMaps(), "127.0.28.1", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<alice@ours.example>", "RCPT TO:<Alice+tag@OURS.example>", "RCPT TO:<bob@ours.example>",
                "RCPT TO:<anyone@edge.portcullis.test>", "RCPT TO:<nobody@ours.example>",
                "RCPT TO:<postmaster@ours.example>", "RCPT TO:<MAILER-DAEMON@ours.example>",
                "RCPT TO:<carol@relay.example>", "RCPT TO:<dave@relay.example>", "RCPT TO:<vera@relay.example>",
                "RCPT TO:<bob@relay.example>", "QUIT");
    }

    @Test
    void unlistedChecksFollowTheResolvedAddress() throws Exception {
        compare(recipientMaps(), "127.0.28.2", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<dave%relay.example@ours.example>", "RCPT TO:<carol%relay.example@ours.example>",
                "RCPT TO:<y@elsewhere.example>", "RCPT TO:<nobody>", "QUIT");
    }

    @Test
    void restrictionClassesFromTablesAndInLists() throws Exception {
        compare(recipientMaps(), "127.0.28.3", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<classy@ours.example>", "RCPT TO:<nobody2@ours.example>", "RCPT TO:<vip@ours.example>",
                "RCPT TO:<alice@ours.example>", "QUIT");
        compare(recipientMaps(), "127.0.28.3", helo("bad.helo.example"));
        compare(recipientMaps(), "127.0.28.3", helo("mx.sub.badparent.example"));
    }

    @Test
    void unlistedSendersWithSmtpdRejectUnlistedSender() throws Exception {
        compare(recipientMaps(), "127.0.28.4", sender("nobody@ours.example"));
        compare(recipientMaps(), "127.0.28.4", sender("dave@relay.example"));
        compare(recipientMaps(), "127.0.28.4", sender("alice@ours.example"));
        compare(recipientMaps(), "127.0.28.4", sender(""));
    }

    @Test
    void unlistedSenderAtMailWithoutDelayedRejects() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_delay_reject", "no");
        cf.put("smtpd_client_restrictions", "");
        cf.put("local_recipient_maps", "texthash:" + dir.resolve("local"));
        cf.put("smtpd_reject_unlisted_sender", "yes");
        Pair p = pair("rcptmaps-immediate", cf);
        compare(p, "127.0.28.6", "EHLO good.example", "MAIL FROM:<nobody@ours.example>", "MAIL FROM:<alice@ours.example>",
                "RCPT TO:<nobody@ours.example>", "RCPT TO:<alice@ours.example>", "QUIT");
    }

    @Test
    void recipientMapCodesTextAndExplicitCheck() throws Exception {
        compare(recipientCodes(), "127.0.28.5", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<nobody@ours.example>", "RCPT TO:<dave@relay.example>", "RCPT TO:<alice@ours.example>",
                "RCPT TO:<carol@relay.example>", "RCPT TO:<y@elsewhere.example>", "QUIT");
    }

    // ---------------------------------------------------------------- DISCARD, REDIRECT, PREPEND, BCC

    private static Pair actions() throws Exception {
        Map<String, String> cf = common();
        cf.put("smtpd_recipient_restrictions", "check_recipient_access texthash:" + dir.resolve("actions")
                + ", reject_non_fqdn_recipient");
        return pair("actions", cf);
    }

    @Test
    void discardPermitsTheRecipientAndClaimsDelivery() throws Exception {
        compare(actions(), "127.0.29.1", "EHLO good.example", "MAIL FROM:<a@b.example>", "RCPT TO:<x@ours.example>",
                "RCPT TO:<drop@ours.example>", "RCPT TO:<y@elsewhere.example>", "RCPT TO:<r@nofqdn>",
                "RCPT TO:<dropmsg@ours.example>", "DATA", MESSAGE, "QUIT");
    }

    @Test
    void redirectPrependAndBccLeaveTheRepliesAlone() throws Exception {
        compare(actions(), "127.0.29.2", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<redir@ours.example>", "RCPT TO:<badredir@ours.example>", "RCPT TO:<tagged@ours.example>",
                "RCPT TO:<badtag@ours.example>", "RCPT TO:<copy@ours.example>", "RCPT TO:<y@elsewhere.example>",
                "DATA", MESSAGE, "QUIT");
    }

    // ---------------------------------------------------------------- smtpd_delay_reject = no

    @Test
    void immediateClientRejectAnswersEveryCommandButQuit() throws Exception {
        compare(immediate(), "127.0.23.1", "EHLO good.example", "MAIL FROM:<a@b.example>", "NOOP",
                "RCPT TO:<x@ours.example>", "QUIT");
    }

    @Test
    void immediateClient421EndsTheSessionAtConnect() throws Exception {
        compare(immediate(), "127.0.23.6", "EHLO good.example");
    }

    @Test
    void immediateHeloRejectLeavesNoHelo() throws Exception {
        compare(immediate(), "127.0.27.1", "MAIL FROM:<a@b.example>", "HELO bad.helo.example",
                "MAIL FROM:<a@b.example>", "HELO nodots", "HELO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", "QUIT");
    }

    @Test
    void immediateSenderRejectAtMail() throws Exception {
        compare(immediate(), "127.0.27.2", "EHLO good.example", "MAIL FROM:<u@spam.example>",
                "RCPT TO:<x@ours.example>", "MAIL FROM:<u@nofqdn>", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", "QUIT");
    }

    // ---------------------------------------------------------------- DATA, end of data, codes

    @Test
    void dataRestrictionsByClient() throws Exception {
        compare(dataStage(), "127.0.24.2", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", "DATA", "QUIT");
    }

    @Test
    void pipeliningWithoutEhloIsRefusedAtData() throws Exception {
        compare(dataStage(), "127.0.24.1", "HELO good.example",
                PIPE + "MAIL FROM:<a@b.example>\nRCPT TO:<x@ours.example>\nDATA", "QUIT");
    }

    @Test
    void pipeliningAfterEhloIsFineUpToData() throws Exception {
        compare(dataStage(), "127.0.24.1", "EHLO good.example",
                PIPE + "MAIL FROM:<a@b.example>\nRCPT TO:<x@ours.example>\nDATA", MESSAGE, "QUIT");
    }

    @Test
    void commandsPipelinedAfterDataAreRefused() throws Exception {
        compare(dataStage(), "127.0.24.1", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", PIPE + "DATA\nNOOP", "QUIT");
    }

    @Test
    void endOfDataRestrictions() throws Exception {
        compare(dataStage(), "127.0.24.1", "EHLO good.example", "MAIL FROM:<eod@b.example>",
                "RCPT TO:<x@ours.example>", "DATA", MESSAGE, "RSET", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", "DATA", MESSAGE, "QUIT");
    }

    @Test
    void deferIfPermitWithWarnIfRejectAndPermit() throws Exception {
        compare(dataStage(), "127.0.24.3", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<x@ours.example>", "RCPT TO:<nofqdn>", "RCPT TO:<y@elsewhere.example>", "QUIT");
    }

    @Test
    void deferIfRejectTurnsALaterRejectOfTheSameListIntoADeferral() throws Exception {
        compare(dataStage(), "127.0.24.4", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<blocked@ours.example>", "RCPT TO:<tmp@ours.example>", "RCPT TO:<x@ours.example>", "QUIT");
    }

    @Test
    void changedReplyCodes() throws Exception {
        compare(dataStage(), "127.0.24.5", "EHLO good.example", "MAIL FROM:<a@b.example>",
                "RCPT TO:<blocked@ours.example>", "RCPT TO:<tmp@ours.example>", "RCPT TO:<u@nofqdn>",
                "RCPT TO:<y@elsewhere.example>", "QUIT");
    }

    @Test
    void theEdgeLogsWhichRestrictionFired() throws Exception {
        Pair p = delayed();
        run(p.edge().port(), "127.0.21.1", List.of(RCPT_BOTH));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(p.logFile())
                .contains("check=<check_client_access texthash:" + dir.resolve("client") + ">"));
        String log = Files.readString(p.logFile());
        assertTrue(log.contains("NOQUEUE: reject: RCPT from unknown[127.0.21.1]: 554 5.7.1 <unknown[127.0.21.1]>: "
                + "Client host rejected: Access denied; from=<a@b.example> to=<x@ours.example> proto=ESMTP "
                + "helo=<good.example> check=<check_client_access texthash:" + dir.resolve("client") + ">"), log);
    }
}
