package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.postfix.table.AccessSearch;
import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.TableException;
import dev.portcullis.postfix.table.TableMatch;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code check_client_access}, {@code check_helo_access}, {@code check_sender_access},
 * {@code check_recipient_access}: an access(5) lookup with postfix-compat's
 * {@link AccessSearch} (the partial-key search for hash-style tables, the whole key for
 * cidr/regexp/pcre), then the action found, as smtpd_check.c's check_table_result() reads it.
 *
 * <p>Actions: {@code OK} and all-numeric values permit; {@code REJECT [[dsn] text]} gives
 * access_map_reject_code, {@code DEFER [[dsn] text]} access_map_defer_code;
 * {@code 4NN [dsn] text} and {@code 5NN [dsn] text} that code (421 and 521 also end the
 * session); {@code DEFER_IF_REJECT} and {@code DEFER_IF_PERMIT} arm the deferral for later;
 * {@code DUNNO} goes on; {@code WARN text} and {@code INFO text} log and go on; a restriction
 * name (one that needs no table) is evaluated in place. DISCARD (permits the list and drops
 * the message), PREPEND, REDIRECT and BCC are logged and checked as Postfix does them and
 * handed to the session as an {@link EnvelopeAction}, which carries them out while it proxies
 * the transaction. HOLD and FILTER are logged as Postfix logs them plus a warning, and the
 * search goes on as DUNNO: HOLD needs a queue and FILTER a transport, and the edge has neither.
 * Anything else is answered as Postfix answers it, "451 4.3.5 Server configuration
 * error", with Postfix's warning. A table that fails the lookup gives
 * "451 4.3.0 &lt;name&gt;: class rejected: Temporary lookup failure".
 */
final class AccessCheck implements DnsRestriction {

    /** What is looked up, where its reply name comes from, and its reply class. */
    enum Kind {
        CLIENT("check_client_access", Stage.CLIENT, Facts::namaddr),
        /** The unverified PTR name; class "Unverified Client host"; OK is refused (forbid_whitelist). */
        REVERSE_CLIENT("check_reverse_client_hostname_access", Stage.CLIENT, Facts::namaddr),
        HELO("check_helo_access", Stage.HELO, Facts::helo),
        SENDER("check_sender_access", Stage.SENDER, Facts::sender),
        RECIPIENT("check_recipient_access", Stage.RECIPIENT, Facts::recipient);

        final String restriction;
        final Stage replyStage;
        final Function<Facts, String> subject;

        Kind(String restriction, Stage replyStage, Function<Facts, String> subject) {
            this.restriction = restriction;
            this.replyStage = replyStage;
            this.subject = subject;
        }
    }

    private final Kind kind;
    private final LookupTable table;
    private final AccessSearch search;
    private final String nullSenderKey;
    private final String name;
    /** Resolves a restriction name found as a table result (null when unknown or needing a table). */
    private final Function<String, Restriction> restrictions;

    AccessCheck(Kind kind, LookupTable table, AccessSearch search, String nullSenderKey,
                Function<String, Restriction> restrictions) {
        this.kind = kind;
        this.table = table;
        this.search = search;
        this.nullSenderKey = nullSenderKey;
        this.restrictions = restrictions;
        this.name = kind.restriction + " " + table.name();
    }

    @Override
    public String restriction() {
        return name;
    }

    /** check_client_access looks up the client name (and its parents) before the address. */
    @Override
    public boolean needsClientName() {
        return kind == Kind.CLIENT || kind == Kind.REVERSE_CLIENT;
    }

    @Override
    public void queries(Facts f, java.util.function.Consumer<DnsQuery> out) {
        // only the client name, which the engine looks up itself
    }

    @Override
    public Outcome apply(Evaluation ev) {
        Facts f = ev.facts;
        String subject = kind.subject.apply(f);
        if (subject == null) {
            return Outcome.DUNNO; // nothing to look up yet (no HELO, no MAIL)
        }
        String replyName = subject; // the null sender is "<>" in replies: its name is empty
        Optional<TableMatch> m;
        try {
            m = switch (kind) {
                case CLIENT -> {
                    // check_namadr_access(): the name (and parent domains) first, then the address.
                    Optional<TableMatch> byName = search.domain(table, f.names().name());
                    yield byName.isPresent() ? byName : search.client(table, f.client().getHostAddress());
                }
                case REVERSE_CLIENT -> {
                    Optional<TableMatch> byName = search.domain(table, f.names().reverseName());
                    yield byName.isPresent() ? byName : search.client(table, f.client().getHostAddress());
                }
                case HELO -> search.domain(table, subject);
                case SENDER -> subject.isEmpty() ? table.find(nullSenderKey) : search.address(table, subject);
                case RECIPIENT -> search.address(table, subject);
            };
        } catch (TableException e) {
            ev.notes.warning(table.name() + " lookup error for \"" + dev.portcullis.edge.protocol.Untrusted.printable(
                    subject, 100) + "\": " + e.getMessage());
            return ev.refuse(451, "4.3.0", replyName, kind == Kind.REVERSE_CLIENT ? "Unverified Client host"
                    : kind.replyStage.replyClass(), "Temporary lookup failure", name);
        }
        if (m.isEmpty()) {
            return Outcome.DUNNO;
        }
        return action(ev, m.get().value().strip(), replyName);
    }

    private Outcome action(Evaluation ev, String value, String replyName) {
        int sp = indexOfSpace(value);
        String cmd = (sp < 0 ? value : value.substring(0, sp)).toUpperCase(Locale.ROOT);
        String text = sp < 0 ? "" : value.substring(sp + 1).strip();
        String replyClass = kind == Kind.REVERSE_CLIENT ? "Unverified Client host" : kind.replyStage.replyClass();
        if (cmd.equals("OK") || !value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (kind == Kind.REVERSE_CLIENT) {
                // forbid_whitelist(): an unverified name must not be able to whitelist a client.
                ev.notes.warning("restriction " + kind.restriction + " returns OK for "
                        + dev.portcullis.edge.protocol.Untrusted.printable(ev.facts.names().reverseName(), 255));
                ev.notes.warning("this is not allowed for security reasons");
                ev.notes.warning("use DUNNO instead of OK if you want to make an exception");
                return ev.refuse(SmtpReply.of(451, "4.3.5", "Server configuration error"), name);
            }
            return new Outcome.Permit(name);
        }
        switch (cmd) {
            case "DUNNO":
                return Outcome.DUNNO;
            case "REJECT": {
                Dsn d = Dsn.split(text, "5.7.1");
                return ev.refuse(ev.codes.accessMapReject(), d.dsn, replyName, replyClass, d.textOr("Access denied"), name);
            }
            case "DEFER": {
                Dsn d = Dsn.split(text, "4.7.1");
                return ev.refuse(ev.codes.accessMapDefer(), d.dsn, replyName, replyClass, d.textOr("Access denied"), name);
            }
            case "DEFER_IF_REJECT", "DEFER_IF_PERMIT": {
                Dsn d = Dsn.split(text, "4.7.1");
                ev.armDeferral(cmd.equals("DEFER_IF_PERMIT"), Evaluation.reply(ev.codes.accessMapDefer(), d.dsn,
                        replyName, replyClass, d.textOr("Service unavailable")), name);
                return Outcome.DUNNO;
            }
            case "WARN":
                ev.notes.action("warn", text);
                return Outcome.DUNNO;
            case "INFO":
                ev.notes.action("info", text);
                return Outcome.DUNNO;
            case "DISCARD":
                // As Postfix: logged, the message is marked for dropping, and the list is permitted.
                ev.notes.action("discard", "<" + replyName + ">: " + replyClass + " "
                        + (text.isEmpty() ? "triggers DISCARD action" : text));
                ev.notes.honour(new EnvelopeAction(EnvelopeAction.Kind.DISCARD, text, name));
                return new Outcome.Permit(name);
            case "REDIRECT", "BCC": {
                // One address, nothing that could add ESMTP parameters or a second command when
                // sent as RCPT TO:<target> (a regexp $1 may carry client text into it).
                if (text.indexOf('@') < 0
                        || !text.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '<' && c != '>')) {
                    ev.notes.warning("access table " + table.name() + " entry \"" + Untrusted.printable(value, 100)
                            + "\" requires user@domain target");
                    return Outcome.DUNNO;
                }
                String target = Untrusted.printable(text, 320);
                ev.notes.action(cmd.toLowerCase(Locale.ROOT), "<" + replyName + ">: " + replyClass + " triggers "
                        + cmd + " " + target);
                ev.notes.honour(new EnvelopeAction(EnvelopeAction.Kind.valueOf(cmd), target, name));
                return Outcome.DUNNO;
            }
            case "PREPEND":
                return prepend(ev, value, text);
            case "HOLD", "FILTER":
                ev.notes.action(cmd.toLowerCase(Locale.ROOT), "<" + replyName + ">: " + replyClass + " triggers " + cmd
                        + " action" + (text.isEmpty() ? "" : " " + text));
                ev.notes.warning(name + ": action " + cmd + " is not honoured by this edge (HOLD needs a queue, FILTER "
                        + "a transport; the edge has neither); evaluation continues as DUNNO");
                return Outcome.DUNNO;
            default:
                break;
        }
        if (value.length() >= 3 && (value.charAt(0) == '4' || value.charAt(0) == '5')
                && Character.isDigit(value.charAt(1)) && Character.isDigit(value.charAt(2))
                && (value.length() == 3 || value.charAt(3) == ' ')) {
            int code = Integer.parseInt(value.substring(0, 3));
            Dsn d = Dsn.split(value.substring(3).strip(), code < 500 ? "4.7.1" : "5.7.1");
            return ev.refuse(code, d.dsn, replyName, replyClass, d.textOr("Access denied"), name);
        }
        Restriction r = restrictions.apply(value.toLowerCase(Locale.ROOT));
        if (r != null && sp < 0) {
            return r.apply(ev);
        }
        ev.notes.warning("unknown smtpd restriction: \"" + dev.portcullis.edge.protocol.Untrusted.printable(cmd, 60)
                + "\"");
        return ev.refuse(SmtpReply.of(451, "4.3.5", "Server configuration error"), name);
    }

    /**
     * PREPEND: "Header: text" for the top of the message; Postfix refuses it after the end of
     * data (the message is gone) and when the client or helo lists run at connect or HELO
     * (smtpd_delay_reject = no: there is no transaction to carry it yet), with a warning.
     */
    private Outcome prepend(Evaluation ev, String value, String text) {
        String command = ev.facts.command();
        if ("END-OF-MESSAGE".equals(command)) {
            ev.notes.warning("access table " + table.name() + ": action PREPEND must be used before "
                    + "smtpd_end_of_data_restrictions");
            return Outcome.DUNNO;
        }
        if (ev.facts.sender() == null) {
            ev.notes.warning("access table " + table.name() + ": action PREPEND is unavailable before MAIL FROM "
                    + "(smtpd_delay_reject = no)");
            return Outcome.DUNNO;
        }
        if (!isHeader(text)) {
            ev.notes.warning("access table " + table.name() + " entry \"" + Untrusted.printable(value, 100)
                    + "\" requires header: text");
            return Outcome.DUNNO;
        }
        ev.notes.honour(new EnvelopeAction(EnvelopeAction.Kind.PREPEND, Untrusted.printable(text, 998), name));
        return Outcome.DUNNO;
    }

    /** Postfix's is_header(): a name of printable non-space characters other than ':', then ':'. */
    static boolean isHeader(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }

    /** dsn_split(): an optional leading RFC 3463 code, then the text. */
    private record Dsn(String dsn, String text) {
        static Dsn split(String text, String def) {
            int sp = indexOfSpace(text);
            String first = sp < 0 ? text : text.substring(0, sp);
            if (SmtpReply.ENHANCED.matcher(first).matches()) {
                return new Dsn(first, sp < 0 ? "" : text.substring(sp + 1).strip());
            }
            return new Dsn(def, text);
        }

        String textOr(String fallback) {
            return text.isEmpty() ? fallback : text;
        }
    }
}
