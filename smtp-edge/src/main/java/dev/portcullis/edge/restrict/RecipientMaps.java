package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.postfix.PostfixParameters;
import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.TableException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who may receive mail here: smtpd_check.c's check_rcpt_maps(), behind
 * {@code reject_unlisted_recipient} (alias {@code check_recipient_maps}),
 * {@code reject_unlisted_sender}, and the implicit checks {@code smtpd_reject_unlisted_recipient}
 * (default yes: at the end of every RCPT check) and {@code smtpd_reject_unlisted_sender}
 * (default no: at the end of the sender list).
 *
 * <p>The address is resolved as {@link Destinations} resolves it; a match in
 * {@code virtual_alias_maps} accepts it in any class. Then by class: a {@code mydestination}
 * address must be in {@code local_recipient_maps} (postmaster@, mailer-daemon@ and
 * double-bounce@ always pass, as in Postfix), a {@code relay_domains} address in
 * {@code relay_recipient_maps}; an empty maps parameter accepts every address of its class,
 * and other destinations are never judged here. The refusal is Postfix's:
 * "unknown_local_recipient_reject_code 5.1.1 &lt;a&gt;: Recipient address rejected: User
 * unknown in local recipient table" (relay: unknown_relay_recipient_reject_code, "... in relay
 * recipient table"; for a sender "Sender address rejected" and 5.1.0; without the table
 * name when {@code show_user_unknown_table_name = no}) - the 550 5.1.1 that the classic
 * fail2ban postfix jail counts as a dictionary attack.
 *
 * <p>Lookups are mail_addr_find()'s for fixed-key tables: {@code user+ext@domain},
 * {@code user@domain} (recipient_delimiter), then for a local domain {@code user+ext} and
 * {@code user}, then {@code @domain}; regexp, pcre and cidr tables get the whole address only.
 *
 * <p>The edge's default for {@code local_recipient_maps} is EMPTY, not Postfix's
 * {@code proxy:unix:passwd.byname $alias_maps}: the edge has no passwd database and no
 * aliases, so with the default it judges no local recipient and leaves that to the next hop.
 * An admin who wants unknown local users refused at the edge sets local_recipient_maps to a
 * table of them; {@code proxy:} and {@code unix:} tables fail start-up, naming the parameter.
 */
final class RecipientMaps {

    /** The local parts that Postfix never refuses in a local domain. */
    private static final List<String> ALWAYS_LOCAL = List.of("postmaster", "mailer-daemon");

    private final List<LookupTable> localMaps;
    private final List<LookupTable> relayMaps;
    private final List<LookupTable> virtualAliasMaps;
    private final int localCode;
    private final int relayCode;
    private final boolean showTableName;
    private final String delimiter;
    private final String doubleBounce;
    final boolean rejectUnlistedRecipient;
    final boolean rejectUnlistedSender;

    private RecipientMaps(List<LookupTable> localMaps, List<LookupTable> relayMaps, List<LookupTable> virtualAliasMaps,
                          int localCode, int relayCode, boolean showTableName, String delimiter, String doubleBounce,
                          boolean rejectUnlistedRecipient, boolean rejectUnlistedSender) {
        this.localMaps = localMaps;
        this.relayMaps = relayMaps;
        this.virtualAliasMaps = virtualAliasMaps;
        this.localCode = localCode;
        this.relayCode = relayCode;
        this.showTableName = showTableName;
        this.delimiter = delimiter == null ? "" : delimiter;
        this.doubleBounce = doubleBounce;
        this.rejectUnlistedRecipient = rejectUnlistedRecipient;
        this.rejectUnlistedSender = rejectUnlistedSender;
    }

    static RecipientMaps from(PostfixParameters p, TableRegistry tables) {
        return new RecipientMaps(tables.openAll(p, "local_recipient_maps"), tables.openAll(p, "relay_recipient_maps"),
                tables.openAll(p, "virtual_alias_maps"), code(p, "unknown_local_recipient_reject_code"),
                code(p, "unknown_relay_recipient_reject_code"), flag(p, "show_user_unknown_table_name", true),
                p.string("recipient_delimiter"),
                p.has("double_bounce_sender") && !p.string("double_bounce_sender").isEmpty()
                        ? p.string("double_bounce_sender") : "double-bounce",
                flag(p, "smtpd_reject_unlisted_recipient", true), flag(p, "smtpd_reject_unlisted_sender", false));
    }

    private static int code(PostfixParameters p, String name) {
        int c = p.has(name) && !p.string(name).isEmpty() ? p.integer(name) : 550;
        if (c < 400 || c > 599) {
            throw p.invalid(name, "must be a 4xx or 5xx SMTP reply code");
        }
        return c;
    }

    private static boolean flag(PostfixParameters p, String name, boolean def) {
        return p.has(name) && !p.string(name).isEmpty() ? p.bool(name) : def;
    }

    /**
     * DUNNO for an address someone here receives mail for (or that is not judged here), else
     * the refusal; {@code sender} chooses the reply class and 5.1.0.
     */
    Outcome check(Evaluation ev, String address, boolean sender, String check) {
        if (address == null || address.isEmpty()) {
            return Outcome.DUNNO; // no recipient yet, or the null sender
        }
        Destinations.Resolved r = ev.destinations.resolve(address);
        String replyClass = sender ? Stage.SENDER.replyClass() : Stage.RECIPIENT.replyClass();
        try {
            boolean local = r.addressClass() == Destinations.AddressClass.LOCAL;
            if (listed(virtualAliasMaps, r.address(), local)) {
                return Outcome.DUNNO;
            }
            String table;
            int code;
            switch (r.addressClass()) {
                case LOCAL -> {
                    String localPart = r.address().substring(0, r.address().lastIndexOf('@')).toLowerCase(Locale.ROOT);
                    if (localMaps.isEmpty() || ALWAYS_LOCAL.contains(localPart)
                            || localPart.equalsIgnoreCase(doubleBounce) || listed(localMaps, r.address(), true)) {
                        return Outcome.DUNNO;
                    }
                    table = " in local recipient table";
                    code = localCode;
                }
                case RELAY -> {
                    if (relayMaps.isEmpty() || listed(relayMaps, r.address(), false)) {
                        return Outcome.DUNNO;
                    }
                    table = " in relay recipient table";
                    code = relayCode;
                }
                default -> {
                    return Outcome.DUNNO;
                }
            }
            return ev.refuse(code, sender ? "5.1.0" : "5.1.1", address, replyClass,
                    "User unknown" + (showTableName ? table : ""), check);
        } catch (TableException e) {
            ev.notes.warning(check + " lookup error for \"" + Untrusted.printable(address, 100) + "\": "
                    + e.getMessage());
            return ev.refuse(451, "4.3.0", address, replyClass, "Temporary lookup failure", check);
        }
    }

    /** Whether any of {@code maps} lists {@code address}, by mail_addr_find()'s keys. */
    private boolean listed(List<LookupTable> maps, String address, boolean localDomain) {
        for (LookupTable t : maps) {
            for (String key : keys(address, t.fixedKeys(), localDomain)) {
                if (t.find(key).isPresent()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** mail_addr_find() with MA_FIND_DEFAULT: the keys tried for {@code address}, in order. */
    List<String> keys(String address, boolean fixedKeys, boolean localDomain) {
        List<String> keys = new ArrayList<>();
        keys.add(address);
        if (!fixedKeys) {
            return keys;
        }
        int at = address.lastIndexOf('@');
        String localPart = address.substring(0, at);
        String domain = address.substring(at + 1);
        String bare = null;
        for (int i = 1; i < localPart.length() && !delimiter.isEmpty(); i++) {
            if (delimiter.indexOf(localPart.charAt(i)) >= 0) {
                bare = localPart.substring(0, i);
                break;
            }
        }
        if (bare != null) {
            keys.add(bare + "@" + domain);
        }
        if (localDomain) {
            keys.add(localPart);
            if (bare != null) {
                keys.add(bare);
            }
        }
        keys.add("@" + domain);
        return keys;
    }

    /** {@code reject_unlisted_recipient} / {@code check_recipient_maps} and {@code reject_unlisted_sender}. */
    static final class Unlisted implements Restriction {
        private final RecipientMaps maps;
        private final String name;
        private final boolean sender;

        Unlisted(RecipientMaps maps, String name, boolean sender) {
            this.maps = maps;
            this.name = name;
            this.sender = sender;
        }

        @Override
        public String restriction() {
            return name;
        }

        @Override
        public Outcome apply(Evaluation ev) {
            String address = sender ? ev.facts.sender() : ev.facts.recipient();
            if (address == null) {
                return Outcome.DUNNO;
            }
            if (sender) {
                ev.senderMapsChecked = true;
            } else {
                ev.recipientMapsChecked = true;
            }
            return maps.check(ev, address, sender, name);
        }
    }

    /** smtpd_reject_unlisted_sender: after the sender list, unless reject_unlisted_sender ran. */
    Outcome implicitSender(Evaluation ev) {
        if (!rejectUnlistedSender || ev.senderMapsChecked) {
            return Outcome.DUNNO;
        }
        ev.warnIfReject = false;
        return check(ev, ev.facts.sender(), true, "smtpd_reject_unlisted_sender");
    }

    /** smtpd_reject_unlisted_recipient: at the end of the RCPT check, unless reject_unlisted_recipient ran. */
    Outcome implicitRecipient(Evaluation ev) {
        if (!rejectUnlistedRecipient || ev.recipientMapsChecked) {
            return Outcome.DUNNO;
        }
        ev.warnIfReject = false;
        return check(ev, ev.facts.recipient(), false, "smtpd_reject_unlisted_recipient");
    }
}
