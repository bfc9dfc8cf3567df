package dev.portcullis.edge.restrict;

import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.testkit.Dnsmasq;
import dev.portcullis.testkit.StubDnsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.portcullis.edge.restrict.EngineFixture.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNS restrictions over a REAL DNS server (dnsmasq on loopback serving a test zone, a
 * DNSBL zone and an RHSBL zone), prefetch then evaluate as the session does, with the input
 * and Postfix 3.7's expected reply side by side (texts from smtpd_check.c, see
 * docs/postfix-oracle.md); and the temporary-failure paths against a DNS server that never
 * answers and one that answers SERVFAIL.
 */
class DnsRestrictionsTest {

    private static final InetAddress GOOD = addr("127.0.0.1");     // PTR good.test, A back: confirmed
    private static final InetAddress FORGED = addr("127.0.0.2");   // PTR forged.test, whose A is elsewhere
    private static final InetAddress NO_PTR = addr("127.0.0.3");
    private static final InetAddress LISTED_NO_TXT = addr("127.0.0.4");
    private static Dnsmasq dns;

    @TempDir
    Path dir;

    private final EngineFixture fixture = new EngineFixture();
    private final List<String> notes = fixture.notes;
    private final Notes sink = fixture.sink;

    @BeforeAll
    static void zones() throws Exception {
        Assumptions.assumeTrue(Dnsmasq.available(), "dnsmasq not installed (bin/install-test-peers installs dnsmasq-base)");
        dns = Dnsmasq.builder().local("test").local("127.in-addr.arpa")
                .hostRecord("good.test", "127.0.0.1")
                .ptr("127.0.0.2", "forged.test").a("forged.test", "127.0.0.99")
                .mx("mail.test", "mx.good.test", 10)
                .nullMx("nullmx.test")
                // DNSBL zen.test: 127.0.0.2 listed with a reason, 127.0.0.4 listed as 127.0.0.10 without one
                .a("2.0.0.127.zen.test", "127.0.0.2").txt("2.0.0.127.zen.test", "listed for testing")
                .a("4.0.0.127.zen.test", "127.0.0.10")
                // RHSBL dbl.test and the allow list wl.test
                .a("bad.test.dbl.test", "127.0.1.2").txt("bad.test.dbl.test", "spammy domain")
                .a("forged.test.dbl.test", "127.0.1.2")
                .a("good.test.dbl.test", "127.0.1.3")
                .a("1.0.0.127.wl.test", "127.0.2.1")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    @BeforeEach
    void clear() {
        notes.clear();
    }

    /** The lookups go to {@code server}, each bounded by 1 s and 2 attempts, so a silent server cannot hang a test. */
    private RestrictionEngine engineAt(String server, String... lines) {
        return EngineFixture.engine(d -> d.equals("relay.example") || d.endsWith(".test"),
                "portcullis_dns_servers = " + server + "\nportcullis_dns_timeout = 1s\nportcullis_dns_attempts = 2\n"
                        + String.join("\n", lines));
    }

    private RestrictionEngine engine(String... lines) {
        return engineAt(dns.server(), lines);
    }

    /** RCPT as the session runs it: prepare (DNS), then evaluate. */
    private Outcome rcpt(RestrictionEngine e, InetAddress client, String helo, String sender, String recipient)
            throws Exception {
        Facts f = EngineFixture.rcpt(client, helo, sender, recipient);
        Facts ready = e.prepare(RestrictionEngine.Check.RCPT, f).get(30, TimeUnit.SECONDS);
        return e.rcpt(ready, sink);
    }

    private static String reply(Outcome o) {
        return EngineFixture.refusal(o).toWire().strip();
    }

    private static String check(Outcome o) {
        return ((Outcome.Refusal) o).check();
    }

    @Test
    void rblClientWithTxtReasonFilterAndCodes() throws Exception {
        RestrictionEngine e = engine("smtpd_client_restrictions = reject_rbl_client zen.test");
        Outcome o = rcpt(e, FORGED, "h.test", "a@good.test", "u@ours.example");
        assertEquals("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; listed for testing",
                reply(o));
        assertEquals("reject_rbl_client zen.test", check(o), "the event and log line name the DNSBL");
        assertEquals("554 5.7.1 Service unavailable; Client host [127.0.0.4] blocked using zen.test",
                reply(rcpt(e, LISTED_NO_TXT, null, "a@good.test", "u@ours.example")), "no TXT, no reason");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, null, "a@good.test", "u@ours.example"), "not listed");

        RestrictionEngine filtered = engine("smtpd_client_restrictions = reject_rbl_client zen.test=127.0.0.[3..11]",
                "maps_rbl_reject_code = 550");
        assertEquals(Outcome.DUNNO, rcpt(filtered, FORGED, null, "a@good.test", "u@ours.example"),
                "listed as 127.0.0.2: outside the filter");
        Outcome f = rcpt(filtered, LISTED_NO_TXT, null, "a@good.test", "u@ours.example");
        assertEquals("550 5.7.1 Service unavailable; Client host [127.0.0.4] blocked using zen.test", reply(f));
        assertEquals("reject_rbl_client zen.test=127.0.0.[3..11]", check(f));
    }

    @Test
    void dnsRestrictionsInRestrictionClassesGetTheirAnswersToo() throws Exception {
        String listed = "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; listed for testing";
        RestrictionEngine named = engine("smtpd_restriction_classes = dnsbl_checks",
                "dnsbl_checks = reject_rbl_client zen.test", "smtpd_client_restrictions = dnsbl_checks");
        assertEquals(listed, reply(rcpt(named, FORGED, "h.test", "a@good.test", "u@ours.example")),
                "a class named in a list: its DNSBL is prefetched with the list");
        RestrictionEngine byTable = engine("smtpd_restriction_classes = dnsbl_checks",
                "dnsbl_checks = reject_rbl_client zen.test",
                "smtpd_client_restrictions = check_client_access inline:{ { 127.0.0.2 = dnsbl_checks } }");
        assertEquals(listed, reply(rcpt(byTable, FORGED, "h.test", "a@good.test", "u@ours.example")),
                "a class that only a table result names: prefetched too, not answered as a lookup never made");
        assertEquals(Outcome.DUNNO, rcpt(byTable, GOOD, null, "a@good.test", "u@ours.example"));
    }

    @Test
    void rblReplyMapsTemplate() throws Exception {
        Files.writeString(dir.resolve("rbl_reply"), "zen.test 521 4.7.1 $client_address is on ${rbl_domain}"
                + "${rbl_reason?: $rbl_reason}\n");
        RestrictionEngine e = engine("smtpd_client_restrictions = reject_rbl_client zen.test",
                "rbl_reply_maps = texthash:" + dir.resolve("rbl_reply"));
        Outcome o = rcpt(e, FORGED, null, "a@good.test", "u@ours.example");
        assertEquals("521 5.7.1 127.0.0.2 is on zen.test: listed for testing", reply(o));
        assertInstanceOf(Outcome.Disconnect.class, o);
    }

    @Test
    void badRblTemplateFallsBackAndBadCodeIsAServiceUnavailable() throws Exception {
        Files.writeString(dir.resolve("rbl_reply"), "zen.test 554 $no_such_thing\n");
        RestrictionEngine unknownName = engine("smtpd_client_restrictions = reject_rbl_client zen.test",
                "rbl_reply_maps = texthash:" + dir.resolve("rbl_reply"));
        assertEquals("554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; listed for testing",
                reply(rcpt(unknownName, FORGED, null, "a@good.test", "u@ours.example")));
        assertTrue(notes.get(0).contains("bad rbl reply template for domain zen.test"), notes.toString());
        RestrictionEngine badCode = engine("smtpd_client_restrictions = reject_rbl_client zen.test",
                "default_rbl_reply = blocked by $rbl_domain");
        assertEquals("450 4.7.1 Service unavailable", reply(rcpt(badCode, FORGED, null, "a@good.test",
                "u@ours.example")));
    }

    @Test
    void rhsblOnSenderHeloRecipientAndClientNames() throws Exception {
        RestrictionEngine e = engine("smtpd_sender_restrictions = reject_rhsbl_sender dbl.test",
                "smtpd_helo_restrictions = reject_rhsbl_helo dbl.test=127.0.1.2",
                "smtpd_recipient_restrictions = reject_rhsbl_recipient dbl.test");
        Outcome o = rcpt(e, GOOD, "h.test", "user@bad.test", "u@ours.example");
        assertEquals("554 5.7.1 Service unavailable; Sender address [user@bad.test] blocked using dbl.test; spammy domain",
                reply(o));
        assertEquals("reject_rhsbl_sender dbl.test", check(o));
        assertEquals("554 5.7.1 Service unavailable; Helo command [bad.test] blocked using dbl.test; spammy domain",
                reply(rcpt(e, GOOD, "bad.test", "a@mail.test", "u@ours.example")));
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "good.test", "a@mail.test", "u@ours.example"),
                "good.test is listed as 127.0.1.3, outside the helo filter");
        assertEquals("554 5.7.1 Service unavailable; Recipient address [x@bad.test] blocked using dbl.test; "
                + "spammy domain", reply(rcpt(e, GOOD, null, "", "x@bad.test")));
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "[127.0.0.1]", "", "u@ours.example"), "literals are not looked up");

        RestrictionEngine names = engine("smtpd_client_restrictions = reject_rhsbl_client dbl.test,"
                + " reject_rhsbl_reverse_client dbl.test");
        assertEquals("554 5.7.1 Service unavailable; Client host [good.test] blocked using dbl.test",
                reply(rcpt(names, GOOD, null, "", "u@ours.example")));
        assertEquals("554 5.7.1 Service unavailable; Unverified Client host [forged.test] blocked using dbl.test",
                reply(rcpt(names, FORGED, null, "", "u@ours.example")),
                "the client name is unknown (not forward-confirmed); the reverse name is forged.test");
        assertEquals(Outcome.DUNNO, rcpt(names, NO_PTR, null, "", "u@ours.example"));
    }

    @Test
    void permitDnswlClientButNeverForRelaying() throws Exception {
        RestrictionEngine e = engine("smtpd_client_restrictions = permit_dnswl_client wl.test, reject",
                "smtpd_relay_restrictions = permit_dnswl_client wl.test, reject_unauth_destination");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, null, "a@good.test", "u@ours.example"));
        assertEquals("554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied",
                reply(rcpt(e, NO_PTR, null, "a@good.test", "u@ours.example")));
        assertEquals("554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied",
                reply(rcpt(e, GOOD, null, "a@good.test", "v@elsewhere.example")),
                "Postfix's safety rule: at RCPT for a destination not ours, a DNSWL is DUNNO, in any list");
    }

    @Test
    void unknownClientAndReverseHostname() throws Exception {
        RestrictionEngine e = engine("smtpd_client_restrictions = reject_unknown_client_hostname");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, null, "", "u@ours.example"));
        Outcome forged = rcpt(e, FORGED, null, "", "u@ours.example");
        assertEquals("450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.2]", reply(forged));
        assertEquals("reject_unknown_client_hostname", check(forged));
        assertEquals("450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]",
                reply(rcpt(e, NO_PTR, null, "", "u@ours.example")));
        RestrictionEngine hard = engine("smtpd_client_restrictions = reject_unknown_client",
                "unknown_client_reject_code = 550");
        assertEquals("550 5.7.25 Client host rejected: cannot find your hostname, [127.0.0.2]",
                reply(rcpt(hard, FORGED, null, "", "u@ours.example")));

        RestrictionEngine rev = engine("smtpd_client_restrictions = reject_unknown_reverse_client_hostname",
                "unknown_client_reject_code = 550");
        assertEquals(Outcome.DUNNO, rcpt(rev, FORGED, null, "", "u@ours.example"), "it has a PTR: enough here");
        assertEquals("550 5.7.1 Client host rejected: cannot find your reverse hostname, [127.0.0.3]",
                reply(rcpt(rev, NO_PTR, null, "", "u@ours.example")));
    }

    @Test
    void clientAccessByNameAndReverseName() throws Exception {
        RestrictionEngine e = engine("smtpd_client_restrictions = check_client_access inline:{ { test = REJECT "
                + "by name } }");
        assertEquals("554 5.7.1 <good.test[127.0.0.1]>: Client host rejected: by name",
                reply(rcpt(e, GOOD, null, "", "u@ours.example")), "the parent domain of the confirmed name");
        assertEquals(Outcome.DUNNO, rcpt(e, FORGED, null, "", "u@ours.example"), "an unconfirmed name is unknown");
        RestrictionEngine unknown = engine("smtpd_client_restrictions = check_client_access inline:{ { unknown = "
                + "450 no name, no mail } }");
        assertEquals("450 4.7.1 <unknown[127.0.0.3]>: Client host rejected: no name, no mail",
                reply(rcpt(unknown, NO_PTR, null, "", "u@ours.example")), "Postfix's \"unknown\" idiom");
        RestrictionEngine rev = engine("smtpd_client_restrictions = check_reverse_client_hostname_access "
                + "inline:{ { forged.test = REJECT }, { good.test = OK } }");
        assertEquals("554 5.7.1 <unknown[127.0.0.2]>: Unverified Client host rejected: Access denied",
                reply(rcpt(rev, FORGED, null, "", "u@ours.example")));
        assertEquals("451 4.3.5 Server configuration error", reply(rcpt(rev, GOOD, null, "", "u@ours.example")),
                "forbid_whitelist: OK from an unverified name is refused");
        assertTrue(notes.get(0).contains("returns OK for good.test"), notes.toString());
    }

    @Test
    void unknownHeloHostname() throws Exception {
        RestrictionEngine e = engine("smtpd_helo_restrictions = reject_unknown_helo_hostname");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "good.test", "", "u@ours.example"), "A record");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "mail.test", "", "u@ours.example"), "MX only");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "nullmx.test", "", "u@ours.example"), "null MX is fine for a host");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, "[127.0.0.1]", "", "u@ours.example"));
        Outcome o = rcpt(e, GOOD, "nope.test", "", "u@ours.example");
        assertEquals("450 4.7.1 <nope.test>: Helo command rejected: Host not found", reply(o));
        assertEquals("reject_unknown_helo_hostname", check(o));
        assertEquals("501 5.5.2 <[1.2.3]>: Helo command rejected: invalid ip address",
                reply(rcpt(e, GOOD, "[1.2.3]", "", "u@ours.example")));
    }

    @Test
    void unknownSenderAndRecipientDomain() throws Exception {
        RestrictionEngine e = engine("smtpd_sender_restrictions = reject_unknown_sender_domain",
                "smtpd_recipient_restrictions = reject_unknown_recipient_domain");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, null, "a@good.test", "u@mail.test"), "A only, MX only");
        assertEquals(Outcome.DUNNO, rcpt(e, GOOD, null, "", "u@ours.example"), "null sender, local domain");
        assertEquals("450 4.1.8 <a@nope.test>: Sender address rejected: Domain not found",
                reply(rcpt(e, GOOD, null, "a@nope.test", "u@ours.example")));
        assertEquals("550 5.7.27 <a@nullmx.test>: Sender address rejected: Domain nullmx.test does not accept mail "
                + "(nullMX)", reply(rcpt(e, GOOD, null, "a@nullmx.test", "u@ours.example")));
        assertEquals("556 5.1.10 <u@nullmx.test>: Recipient address rejected: Domain nullmx.test does not accept mail "
                + "(nullMX)", reply(rcpt(e, GOOD, null, "a@good.test", "u@nullmx.test")));
        assertEquals("450 4.1.2 <u@nope.test>: Recipient address rejected: Domain not found",
                reply(rcpt(e, GOOD, null, "a@good.test", "u@nope.test")));
        RestrictionEngine hard = engine("smtpd_sender_restrictions = reject_unknown_sender_domain",
                "unknown_address_reject_code = 550");
        assertEquals("550 5.1.8 <a@nope.test>: Sender address rejected: Domain not found",
                reply(rcpt(hard, GOOD, null, "a@nope.test", "u@ours.example")));
    }

    @Test
    void deadDnsServerGivesPostfixsTemporaryFailures() throws Exception {
        try (StubDnsServer silent = new StubDnsServer(StubDnsServer.Mode.SILENT);
             StubDnsServer servfail = new StubDnsServer(StubDnsServer.Mode.SERVFAIL)) {
            for (String server : List.of(silent.server(), servfail.server())) {
                notes.clear();
                // defer_if_permit (the default): what would pass is deferred ...
                RestrictionEngine e = engineAt(server, "smtpd_sender_restrictions = reject_unknown_sender_domain",
                        "smtpd_client_restrictions = reject_rbl_client zen.test");
                long t0 = System.nanoTime();
                Outcome o = rcpt(e, GOOD, null, "a@good.test", "u@ours.example");
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                assertEquals("450 4.1.8 <a@good.test>: Sender address rejected: Domain not found", reply(o), server);
                assertEquals("reject_unknown_sender_domain", check(o));
                assertTrue(ms < 10_000, "bounded by attempts x timeout: " + ms + " ms");
                // ... and the DNSBL gives the benefit of the doubt, with Postfix's warning
                assertTrue(notes.stream().anyMatch(n -> n.startsWith("warning: 1.0.0.127.zen.test: RBL lookup error")),
                        notes.toString());
                // ... what is rejected anyway stays rejected
                RestrictionEngine r = engineAt(server, "smtpd_sender_restrictions = reject_unknown_sender_domain, reject");
                assertTrue(reply(rcpt(r, GOOD, null, "a@good.test", "u@ours.example")).startsWith("554 5.7.1 "));
                // defer: at once
                RestrictionEngine d = engineAt(server, "smtpd_sender_restrictions = reject_unknown_sender_domain, permit",
                        "unknown_address_tempfail_action = defer");
                assertEquals("450 4.1.8 <a@good.test>: Sender address rejected: Domain not found",
                        reply(rcpt(d, GOOD, null, "a@good.test", "u@ours.example")));
                // the client name: TEMP is always 450, whatever unknown_client_reject_code says
                RestrictionEngine c = engineAt(server, "smtpd_client_restrictions = reject_unknown_client_hostname",
                        "unknown_client_reject_code = 550");
                assertEquals("450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.1]",
                        reply(rcpt(c, GOOD, null, "", "u@ours.example")));
                RestrictionEngine h = engineAt(server, "smtpd_helo_restrictions = reject_unknown_helo_hostname",
                        "unknown_helo_hostname_tempfail_action = defer");
                assertEquals("450 4.7.1 <good.test>: Helo command rejected: Host not found",
                        reply(rcpt(h, GOOD, "good.test", "", "u@ours.example")));
            }
        }
    }

    @Test
    void startUpErrorsNameTheProblem() {
        PostfixConfigException noArg = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = reject_rbl_client"));
        assertTrue(noArg.getMessage().contains("reject_rbl_client requires domain name argument"), noArg.getMessage());
        PostfixConfigException nextIsRestriction = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = reject_rhsbl_sender, permit"));
        assertTrue(nextIsRestriction.getMessage().contains("requires domain name argument"));
        PostfixConfigException badFilter = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = reject_rbl_client zen.test=127.0.0.[300]"));
        assertTrue(badFilter.getMessage().contains("octet 300 > 255"), badFilter.getMessage());
        PostfixConfigException badAction = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = reject_unknown_client_hostname",
                        "unknown_address_tempfail_action = maybe"));
        assertTrue(badAction.getMessage().contains("unknown_address_tempfail_action"), badAction.getMessage());
        PostfixConfigException unknown = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = reject_rbl_clients zen.test"));
        assertTrue(unknown.getMessage().contains("unsupported restriction \"reject_rbl_clients\""), unknown.getMessage());
    }
}
