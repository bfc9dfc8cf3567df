package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.postfix.PostfixConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.portcullis.edge.restrict.EngineFixture.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The restriction engine one restriction at a time: the input facts and the expected reply
 * side by side (the texts are the ones RestrictionsSideBySideTest checks against a real
 * Postfix), plus the start-up errors for bad configuration and bad tables.
 */
class RestrictionEngineTest {

    private static final InetAddress OUTSIDER = addr("198.51.100.9");
    private static final InetAddress INSIDER = addr("192.0.2.10");

    @TempDir
    Path dir;
    private final EngineFixture fixture = new EngineFixture();
    private final List<String> notes = fixture.notes;
    private final Notes sink = fixture.sink;

    @BeforeEach
    void tables() throws Exception {
        Files.writeString(dir.resolve("client"), """
                198.51.100 REJECT go away
                203.0.113.1 DEFER_IF_PERMIT later maybe
                203.0.113.2 DEFER_IF_REJECT rather not
                203.0.113.3 WARN watch
                203.0.113.4 permit_mynetworks
                203.0.113.5 FROBNICATE
                203.0.113.6 421 4.7.0 closing
                203.0.113.7 DISCARD
                203.0.113.8 OK
                """);
        Files.writeString(dir.resolve("sender"), "<> REJECT\nspam.example 550 5.7.8 no\n");
    }

    /** DIR in a line stands for this test's table directory. */
    private RestrictionEngine engine(String... lines) {
        return EngineFixture.engine("relay.example"::equals, String.join("\n", lines).replace("DIR", dir.toString()));
    }

    private static Facts rcpt(InetAddress client, String helo, String sender, String recipient) {
        return EngineFixture.rcpt(client, helo, sender, recipient);
    }

    private static SmtpReply reply(Outcome o) {
        return EngineFixture.refusal(o);
    }

    @Test
    void recipientMapsAndClassesFailStartUpNamingTheParameter() {
        // Postfix's default local_recipient_maps cannot work on an edge: it says so, naming it.
        var e = assertThrows(PostfixConfigException.class,
                () -> engine("local_recipient_maps = proxy:unix:passwd.byname"));
        assertTrue(e.getMessage().startsWith("/etc/portcullis/main.cf:3: local_recipient_maps = "), e.getMessage());
        assertTrue(e.getMessage().contains("unsupported dictionary type: proxy"), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("smtpd_restriction_classes = strict"));
        assertTrue(e.getMessage().contains("restriction class `strict' needs a definition"), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("smtpd_restriction_classes = reject_unlisted_sender",
                "reject_unlisted_sender = permit"));
        assertTrue(e.getMessage().contains("is a restriction name"), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("smtpd_restriction_classes = strict",
                "strict = reject_unlisted_recipient, frobnicate"));
        assertTrue(e.getMessage().contains("strict = ") && e.getMessage().contains("\"frobnicate\""), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("unknown_relay_recipient_reject_code = 250"));
        assertTrue(e.getMessage().contains("must be a 4xx or 5xx"), e.getMessage());
    }

    @Test
    void aRestrictionClassLoopIsAConfigurationErrorNotAStackOverflow() {
        RestrictionEngine e = engine("smtpd_restriction_classes = ping, pong", "ping = pong", "pong = ping",
                "smtpd_recipient_restrictions = ping");
        assertEquals("451 4.3.5 Server configuration error",
                reply(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "u@ours.example"), sink)).toWire().strip());
        assertTrue(notes.stream().anyMatch(n -> n.contains("restriction class nesting too deep")), notes.toString());
    }

    @Test
    void unlistedRecipientsBySenderAndRecipientAndTheirLookupKeys() throws Exception {
        Files.writeString(dir.resolve("local"), "alice@ours.example x\nbob x\n");
        RestrictionEngine e = engine("local_recipient_maps = texthash:DIR/local", "recipient_delimiter = +",
                "smtpd_recipient_restrictions = permit");
        assertTrue(!(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "Alice+x@ours.example"), sink)
                instanceof Outcome.Refusal));
        assertTrue(!(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "bob+y@ours.example"), sink) instanceof Outcome.Refusal));
        // permit does not save an unknown user: the implicit check runs after the lists
        assertEquals("550 5.1.1 <carl@ours.example>: Recipient address rejected: User unknown in local recipient table",
                reply(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "carl@ours.example"), sink)).toWire().strip());
        // a domain-less recipient is resolved with myorigin (ours.example here)
        assertEquals(550, reply(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "carl"), sink)).code());
        RestrictionEngine senders = engine("local_recipient_maps = texthash:DIR/local",
                "smtpd_sender_restrictions = reject_unlisted_sender");
        assertEquals("550 5.1.0 <carl@ours.example>: Sender address rejected: User unknown in local recipient table",
                reply(senders.rcpt(rcpt(OUTSIDER, null, "carl@ours.example", "alice@ours.example"), sink)).toWire()
                        .strip());
        assertTrue(!(senders.rcpt(rcpt(OUTSIDER, null, "", "alice@ours.example"), sink) instanceof Outcome.Refusal),
                "the null sender is never unlisted");
    }

    @Test
    void redirectTargetsThatCouldSmuggleRcptParametersAreRefused() throws Exception {
        Files.writeString(dir.resolve("redir.pcre"), "/^redir-(.*)@ours\\.example$/ REDIRECT $1@ours.example\n");
        RestrictionEngine e = engine("smtpd_recipient_restrictions = check_recipient_access pcre:DIR/redir.pcre");
        e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "redir-bob@ours.example"), sink);
        assertTrue(notes.contains("envelope: REDIRECT bob@ours.example by check_recipient_access pcre:" + dir
                + "/redir.pcre"), notes.toString());
        notes.clear();
        e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "redir-x> NOTIFY=NEVER <y@ours.example"), sink);
        assertTrue(notes.stream().noneMatch(n -> n.startsWith("envelope:")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.contains("requires user@domain target")), notes.toString());
    }

    @Test
    void postfixDefaultRelayRestrictions() {
        RestrictionEngine e = engine();
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(OUTSIDER, "h.example", "a@b.example", "u@ours.example"), sink));
        assertEquals("454 4.7.1 <v@elsewhere.example>: Relay access denied",
                reply(e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "v@elsewhere.example"), sink)).toWire().strip());
        // permit_mynetworks ends the relay list; the (empty) recipient list has the last word: accept
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(INSIDER, null, "a@b.example", "v@elsewhere.example"), sink));
    }

    @Test
    void accessActionsWithTheirPostfixTexts() {
        RestrictionEngine e = engine("smtpd_client_restrictions = check_client_access texthash:DIR/client",
                "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination");
        Outcome o = e.rcpt(rcpt(OUTSIDER, null, "a@b.example", "u@ours.example"), sink);
        assertEquals("554 5.7.1 <unknown[198.51.100.9]>: Client host rejected: go away", reply(o).toWire().strip());
        assertEquals("check_client_access texthash:" + dir.resolve("client"), ((Outcome.Refusal) o).check());
        // DEFER_IF_PERMIT: what would pass is deferred, what is rejected stays rejected
        assertEquals("450 4.7.1 <unknown[203.0.113.1]>: Client host rejected: later maybe",
                reply(e.rcpt(rcpt(addr("203.0.113.1"), null, "a@b.example", "u@ours.example"), sink)).toWire().strip());
        assertEquals(554, reply(e.rcpt(rcpt(addr("203.0.113.1"), null, "a", "v@elsewhere.example"), sink)).code());
        // DEFER_IF_REJECT does not reach into the relay list (another group)
        assertEquals(554, reply(e.rcpt(rcpt(addr("203.0.113.2"), null, "a", "v@elsewhere.example"), sink)).code());
        // WARN logs and goes on
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(addr("203.0.113.3"), null, "a", "u@ours.example"), sink));
        assertTrue(notes.contains("warn: watch"), notes.toString());
        // a restriction name as the result is evaluated in place
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(addr("203.0.113.4"), null, "a", "u@ours.example"), sink));
        // an unknown action: Postfix's configuration error
        assertEquals("451 4.3.5 Server configuration error",
                reply(e.rcpt(rcpt(addr("203.0.113.5"), null, "a", "u@ours.example"), sink)).toWire().strip());
        assertTrue(notes.contains("warning: unknown smtpd restriction: \"FROBNICATE\""), notes.toString());
        // 421 ends the session
        assertInstanceOf(Outcome.Disconnect.class, e.rcpt(rcpt(addr("203.0.113.6"), null, "a", "u@ours.example"), sink));
        // DISCARD permits the client list, is logged as Postfix logs it, and goes to the session
        assertTrue(!(e.rcpt(rcpt(addr("203.0.113.7"), null, "a", "u@ours.example"), sink) instanceof Outcome.Refusal));
        assertTrue(notes.contains("discard: <unknown[203.0.113.7]>: Client host triggers DISCARD action"),
                notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("envelope: DISCARD  by check_client_access")),
                notes.toString());
        // OK ends only the client list: the relay list still refuses a foreign recipient
        assertEquals(554, reply(e.rcpt(rcpt(addr("203.0.113.8"), null, "a", "v@elsewhere.example"), sink)).code());
    }

    @Test
    void deferIfRejectInTheSameListTurnsARejectIntoItsDeferral() {
        RestrictionEngine e = engine("smtpd_client_restrictions = check_client_access texthash:DIR/client, reject");
        assertEquals("450 4.7.1 <unknown[203.0.113.2]>: Client host rejected: rather not",
                reply(e.rcpt(rcpt(addr("203.0.113.2"), null, "a", "u@ours.example"), sink)).toWire().strip());
    }

    @Test
    void senderChecksIncludingTheNullSender() {
        RestrictionEngine e = engine("smtpd_sender_restrictions = check_sender_access texthash:DIR/sender, "
                + "reject_non_fqdn_sender");
        assertEquals("554 5.7.1 <>: Sender address rejected: Access denied",
                reply(e.rcpt(rcpt(OUTSIDER, null, "", "u@ours.example"), sink)).toWire().strip());
        assertEquals("550 5.7.8 <u@sub.spam.example>: Sender address rejected: no",
                reply(e.rcpt(rcpt(OUTSIDER, null, "u@sub.spam.example", "u@ours.example"), sink)).toWire().strip());
        assertEquals("504 5.5.2 <u@localhost>: Sender address rejected: need fully-qualified address",
                reply(e.rcpt(rcpt(OUTSIDER, null, "u@localhost", "u@ours.example"), sink)).toWire().strip());
    }

    @Test
    void heloSyntaxChecks() {
        RestrictionEngine e = engine("smtpd_helo_restrictions = reject_invalid_helo_hostname, "
                + "reject_non_fqdn_helo_hostname");
        assertEquals("501 5.5.2 <bad_host!>: Helo command rejected: Invalid name",
                reply(e.rcpt(rcpt(OUTSIDER, "bad_host!", "a@b.example", "u@ours.example"), sink)).toWire().strip());
        assertEquals("501 5.5.2 <[300.1.1.1]>: Helo command rejected: invalid ip address",
                reply(e.rcpt(rcpt(OUTSIDER, "[300.1.1.1]", "a", "u@ours.example"), sink)).toWire().strip());
        assertEquals(501, reply(e.rcpt(rcpt(OUTSIDER, "a".repeat(64) + ".example", "a", "u@ours.example"), sink))
                .code(), "a label over 63 characters");
        assertEquals(501, reply(e.rcpt(rcpt(OUTSIDER, "b.".repeat(130) + "example", "a", "u@ours.example"), sink))
                .code(), "a name over 255 characters");
        assertEquals("504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
                reply(e.rcpt(rcpt(OUTSIDER, "localhost", "a", "u@ours.example"), sink)).toWire().strip());
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(OUTSIDER, "[192.0.2.1]", "a", "u@ours.example"), sink));
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(OUTSIDER, "[IPv6:2001:db8::1]", "a", "u@ours.example"), sink));
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(OUTSIDER, null, "a", "u@ours.example"), sink), "no HELO: not judged");
    }

    @Test
    void warnIfRejectCoversTheNextRestrictionOnly() {
        RestrictionEngine e = engine("smtpd_recipient_restrictions = warn_if_reject, reject_non_fqdn_recipient, "
                + "reject_non_fqdn_recipient");
        Outcome o = e.rcpt(rcpt(OUTSIDER, null, "a", "postmaster"), sink);
        assertEquals(504, reply(o).code());
        assertEquals(1, notes.stream().filter(n -> n.startsWith("reject_warning: 504 5.5.2 <postmaster>")).count(),
                notes.toString());
    }

    @Test
    void delayRejectNoMovesTheChecksToTheirCommands() {
        RestrictionEngine e = engine("smtpd_delay_reject = no",
                "smtpd_client_restrictions = check_client_access texthash:DIR/client");
        Facts connect = new Facts(OUTSIDER, "unknown[198.51.100.9]", null, false, null, null, false, "CONNECT");
        assertEquals(554, reply(e.connect(connect, sink)).code());
        assertEquals(Outcome.DUNNO, e.rcpt(rcpt(OUTSIDER, null, "a", "u@ours.example"), sink),
                "not again at RCPT");
        assertEquals(Outcome.DUNNO, engine("smtpd_client_restrictions = reject, permit_auth_destination").connect(connect,
                sink), "with delayed rejects nothing is judged at connect");
    }

    @Test
    void pipeliningDataAndEndOfData() {
        RestrictionEngine e = engine("smtpd_data_restrictions = reject_unauth_pipelining",
                "smtpd_end_of_data_restrictions = reject", "reject_code = 550");
        Facts piped = new Facts(OUTSIDER, "unknown[198.51.100.9]", "h.example", false, "a@b.example", null, true,
                "DATA");
        assertEquals("503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining",
                reply(e.data(piped, sink)).toWire().strip());
        Facts calm = new Facts(OUTSIDER, "unknown[198.51.100.9]", "h.example", true, "a@b.example", null, false,
                "END-OF-MESSAGE");
        assertEquals(Outcome.DUNNO, e.data(calm, sink));
        assertEquals("550 5.7.1 <END-OF-MESSAGE>: End-of-data rejected: Access denied",
                reply(e.endOfData(calm, sink)).toWire().strip());
    }

    @Test
    void startUpErrorsNameFileLineAndProblem() throws Exception {
        var e = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = permit_mynetworks, reject_unverified_recipient"));
        assertTrue(e.getMessage().startsWith("/etc/portcullis/main.cf:3: "), e.getMessage());
        assertTrue(e.getMessage().contains("unsupported restriction \"reject_unverified_recipient\""), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("smtpd_helo_restrictions = check_helo_access"));
        assertTrue(e.getMessage().contains("check_helo_access requires type:table"), e.getMessage());

        e = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = check_client_access texthash:DIR/missing"));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());

        Files.writeString(dir.resolve("bad.cidr"), "192.0.2.0/24 OK\n192.0.2.1/24 REJECT\n");
        e = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_client_restrictions = check_client_access cidr:DIR/bad.cidr"));
        assertTrue(e.getMessage().contains(dir.resolve("bad.cidr") + ":2"), "the table's file:line: " + e.getMessage());

        Files.writeString(dir.resolve("bad.pcre"), "/ok/ OK\n/unclosed( REJECT\n");
        e = assertThrows(PostfixConfigException.class,
                () -> engine("smtpd_recipient_restrictions = check_recipient_access pcre:DIR/bad.pcre"));
        assertTrue(e.getMessage().contains(dir.resolve("bad.pcre") + ":2"), e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("smtpd_relay_restrictions = permit_mynetworks"));
        assertTrue(e.getMessage().contains("reject_unauth_destination"), "never an open relay: " + e.getMessage());

        e = assertThrows(PostfixConfigException.class, () -> engine("access_map_reject_code = 250"));
        assertTrue(e.getMessage().contains("access_map_reject_code"), e.getMessage());
    }
}
