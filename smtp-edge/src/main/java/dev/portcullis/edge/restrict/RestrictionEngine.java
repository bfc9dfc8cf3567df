package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.postfix.PostfixParameters;
import dev.portcullis.postfix.table.AccessSearch;
import dev.portcullis.postfix.table.LookupTable;
import dev.portcullis.postfix.table.TableException;
import dev.portcullis.postfix.table.Tables;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Postfix's SMTP access restrictions on the edge: the seven {@code smtpd_*_restrictions}
 * lists, {@code smtpd_delay_reject}, and the reply-code parameters, built once from main.cf
 * and shared by every session (immutable; each check gets its own {@link Evaluation}).
 *
 * <p>When the lists run (smtpd_check.c): with {@code smtpd_delay_reject = yes} (the default)
 * the client, helo and sender lists run at every RCPT, before the relay and recipient lists;
 * with {@code no} they run at connect, HELO/EHLO and MAIL. Each list stops at its first
 * PERMIT or refusal; a PERMIT ends that list only. The data and end-of-data lists run at
 * DATA and at the final dot. A DEFER_IF_PERMIT armed anywhere in a command's check turns the
 * check's final "yes" into its 4xx; DEFER_IF_REJECT turns a later 5xx of the same list
 * group into its 4xx.
 *
 * <p>Like Postfix, start-up refuses an unknown restriction name, a check_*_access without a
 * table, a table that cannot be read or has a bad line (file:line), and relay and recipient
 * lists that together contain none of reject_unauth_destination, defer_unauth_destination,
 * reject, defer (which would make an open relay).
 */
public final class RestrictionEngine {

    /** The names a list may hold (check_*_access take a table after them). */
    public static final Set<String> SUPPORTED = Set.of("permit", "reject", "defer", "warn_if_reject",
            "permit_mynetworks", "permit_auth_destination", "reject_unauth_destination", "defer_unauth_destination",
            "check_client_access", "check_helo_access", "check_sender_access", "check_recipient_access",
            "reject_invalid_helo_hostname", "reject_non_fqdn_helo_hostname", "reject_non_fqdn_sender",
            "reject_non_fqdn_recipient", "reject_unauth_pipelining", "permit_sasl_authenticated",
            "reject_invalid_hostname", "reject_non_fqdn_hostname",
            "reject_unlisted_recipient", "check_recipient_maps", "reject_unlisted_sender");

    /** Restrictions that keep the edge from being an open relay (Postfix's own start-up rule). */
    private static final Set<String> RELAY_GUARDS = Set.of("reject_unauth_destination", "defer_unauth_destination",
            "reject", "defer");

    private final Map<Stage, RestrictionList> lists;
    private final boolean delayReject;
    private final ReplyCodes codes;
    private final Destinations destinations;
    private final RecipientMaps recipientMaps;
    private final TableRegistry tables;
    private final java.time.Duration reloadInterval;

    private RestrictionEngine(Map<Stage, RestrictionList> lists, boolean delayReject, ReplyCodes codes,
                              Destinations destinations, RecipientMaps recipientMaps, TableRegistry tables,
                              java.time.Duration reloadInterval) {
        this.lists = lists;
        this.delayReject = delayReject;
        this.codes = codes;
        this.destinations = destinations;
        this.recipientMaps = recipientMaps;
        this.tables = tables;
        this.reloadInterval = reloadInterval;
    }

    /**
     * Reads the lists and codes from {@code p}; {@code mynetworks} and {@code destinations}
     * are the edge's already-validated mynetworks, mydestination and relay_domains.
     *
     * @throws dev.portcullis.postfix.PostfixConfigException naming file:line, parameter and problem
     */
    public static RestrictionEngine from(PostfixParameters p, Predicate<InetAddress> mynetworks,
                                         Destinations destinations) {
        int[] c = new int[ReplyCodes.PARAMETERS.length];
        ReplyCodes d = ReplyCodes.POSTFIX;
        int[] defaults = {d.accessMapReject(), d.accessMapDefer(), d.invalidHostname(), d.nonFqdn(), d.relayDomains(),
                d.defer(), d.reject()};
        for (int i = 0; i < c.length; i++) {
            String name = ReplyCodes.PARAMETERS[i];
            c[i] = p.has(name) && !p.string(name).isEmpty() ? p.integer(name) : defaults[i];
            if (c[i] < 400 || c[i] > 599) {
                throw p.invalid(name, "must be a 4xx or 5xx SMTP reply code");
            }
        }
        ReplyCodes codes = new ReplyCodes(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        boolean parentMatches = p.list("parent_domain_matches_subdomains").contains("smtpd_access_maps")
                || !p.has("parent_domain_matches_subdomains");
        AccessSearch search = new AccessSearch(parentMatches, p.string("recipient_delimiter"));
        String nullKey = p.has("smtpd_null_access_lookup_key") ? p.string("smtpd_null_access_lookup_key") : "<>";
        TableRegistry tables = new TableRegistry();
        RecipientMaps recipientMaps = RecipientMaps.from(p, tables);
        Builder b = new Builder(mynetworks, search, nullKey, tables, recipientMaps);
        b.classes(p);
        Map<Stage, RestrictionList> lists = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            lists.put(s, b.list(p, s));
        }
        boolean guarded = false;
        for (Stage s : List.of(Stage.RELAY, Stage.RECIPIENT)) {
            for (Restriction r : lists.get(s).restrictions) {
                guarded |= RELAY_GUARDS.contains(r.restriction());
            }
        }
        if (!guarded) {
            throw p.invalid(Stage.RELAY.parameter(), "in parameter smtpd_relay_restrictions or "
                    + "smtpd_recipient_restrictions, specify at least one working instance of: "
                    + "reject_unauth_destination, defer_unauth_destination, reject, defer");
        }
        boolean delay = !p.has("smtpd_delay_reject") || p.string("smtpd_delay_reject").isEmpty()
                || p.bool("smtpd_delay_reject");
        String reload = "portcullis_table_reload_interval";
        java.time.Duration interval = p.has(reload) ? p.time(reload) : java.time.Duration.ofSeconds(5);
        if (interval.isNegative()) {
            throw p.invalid(reload, "must not be negative (0 turns reloading off)");
        }
        return new RestrictionEngine(lists, delay, codes, destinations, recipientMaps, tables, interval);
    }

    /**
     * Re-reads the table files that changed on disk (call from a timer or worker thread, never
     * an event loop); a broken file keeps its last good table. {@code log} gets a line per
     * table replaced and per newly broken file (file:line: problem).
     *
     * @return how many tables were replaced
     */
    public int reloadTables(java.util.function.Consumer<String> log) {
        return tables.reload(log);
    }

    /**
     * {@code portcullis_table_reload_interval} (not Postfix; default 5s, 0 = never): how often
     * the table files are checked for changes.
     */
    public java.time.Duration reloadInterval() {
        return reloadInterval;
    }

    /** How many tables the restrictions and recipient maps use. */
    public int tableCount() {
        return tables.tables().size();
    }

    /** Resolves names and opens tables, each table once however often it is named. */
    private static final class Builder {
        private final Predicate<InetAddress> mynetworks;
        private final AccessSearch search;
        private final String nullKey;
        private final TableRegistry tables;
        private final RecipientMaps recipientMaps;
        private final Map<String, RestrictionClass> classes = new HashMap<>();

        Builder(Predicate<InetAddress> mynetworks, AccessSearch search, String nullKey, TableRegistry tables,
                RecipientMaps recipientMaps) {
            this.mynetworks = mynetworks;
            this.search = search;
            this.nullKey = nullKey;
            this.tables = tables;
            this.recipientMaps = recipientMaps;
        }

        /** smtpd_restriction_classes: every name first (they may refer to each other), then each body. */
        void classes(PostfixParameters p) {
            String param = "smtpd_restriction_classes";
            List<String> names = p.has(param) ? p.list(param) : List.of();
            for (String n : names) {
                String name = n.toLowerCase(Locale.ROOT);
                if (SUPPORTED.contains(name) || simple(name) != null) {
                    throw p.invalid(param, "restriction class name \"" + n + "\" is a restriction name");
                }
                if (!p.has(n)) {
                    throw p.invalid(param, "restriction class `" + n + "' needs a definition");
                }
                classes.put(name, new RestrictionClass(n));
            }
            for (String n : names) {
                classes.get(n.toLowerCase(Locale.ROOT)).define(parse(p, n));
            }
        }

        RestrictionList list(PostfixParameters p, Stage stage) {
            return new RestrictionList(stage, parse(p, stage.parameter()));
        }

        /** The restrictions of {@code parameter} (a list or a class definition), resolved. */
        List<Restriction> parse(PostfixParameters p, String parameter) {
            List<String> words = p.list(parameter);
            List<Restriction> out = new ArrayList<>();
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i).toLowerCase(Locale.ROOT);
                AccessCheck.Kind kind = switch (w) {
                    case "check_client_access" -> AccessCheck.Kind.CLIENT;
                    case "check_helo_access" -> AccessCheck.Kind.HELO;
                    case "check_sender_access" -> AccessCheck.Kind.SENDER;
                    case "check_recipient_access" -> AccessCheck.Kind.RECIPIENT;
                    default -> null;
                };
                if (kind != null) {
                    if (i + 1 >= words.size() || words.get(i + 1).indexOf(':') <= 0) {
                        throw p.invalid(parameter, "restriction " + w + " requires type:table argument");
                    }
                    String tableName = words.get(++i);
                    LookupTable table = tables.open(p, parameter, tableName);
                    out.add(new AccessCheck(kind, table, search, nullKey, this::simple));
                    continue;
                }
                Restriction r = w.equals("warn_if_reject") ? RestrictionList.WARN_IF_REJECT : simple(w);
                if (r == null) {
                    throw p.invalid(parameter, "unsupported restriction \"" + words.get(i)
                            + "\" (this edge supports " + String.join(", ", new TreeSet<>(SUPPORTED)) + ")");
                }
                out.add(r);
            }
            return out;
        }

        /** A restriction that needs no argument, or null. Also used for restriction names found in tables. */
        Restriction simple(String name) {
            return switch (name) {
                case "permit" -> Generic.PERMIT;
                case "reject" -> Generic.REJECT;
                case "defer" -> Generic.DEFER;
                case "permit_mynetworks" -> new ClientNetworks(mynetworks);
                case "permit_sasl_authenticated" -> NeverAuthenticated.INSTANCE;
                case "permit_auth_destination" -> DestinationRestriction.PERMIT_AUTH_DESTINATION;
                case "reject_unauth_destination" -> DestinationRestriction.REJECT_UNAUTH_DESTINATION;
                case "defer_unauth_destination" -> DestinationRestriction.DEFER_UNAUTH_DESTINATION;
                case "reject_invalid_helo_hostname", "reject_invalid_hostname" -> HostnameChecks.REJECT_INVALID_HELO_HOSTNAME;
                case "reject_non_fqdn_helo_hostname", "reject_non_fqdn_hostname" -> HostnameChecks.REJECT_NON_FQDN_HELO_HOSTNAME;
                case "reject_non_fqdn_sender" -> HostnameChecks.REJECT_NON_FQDN_SENDER;
                case "reject_non_fqdn_recipient" -> HostnameChecks.REJECT_NON_FQDN_RECIPIENT;
                case "reject_unauth_pipelining" -> Pipelining.INSTANCE;
                case "reject_unlisted_recipient", "check_recipient_maps" ->
                        new RecipientMaps.Unlisted(recipientMaps, name, false);
                case "reject_unlisted_sender" -> new RecipientMaps.Unlisted(recipientMaps, name, true);
                default -> classes.get(name);
            };
        }
    }

    /** {@code permit_sasl_authenticated}: the edge offers no AUTH, so nobody is authenticated. */
    private enum NeverAuthenticated implements Restriction {
        INSTANCE;

        @Override
        public String restriction() {
            return "permit_sasl_authenticated";
        }

        @Override
        public Outcome apply(Evaluation ev) {
            return Outcome.DUNNO;
        }
    }

    public boolean delayReject() {
        return delayReject;
    }

    public ReplyCodes codes() {
        return codes;
    }

    /** The client list at connect (only without smtpd_delay_reject; else DUNNO). */
    public Outcome connect(Facts f, Notes notes) {
        return delayReject ? Outcome.DUNNO : group(f, notes, Stage.CLIENT);
    }

    /** The helo list at HELO/EHLO (only without smtpd_delay_reject). */
    public Outcome helo(Facts f, Notes notes) {
        return delayReject ? Outcome.DUNNO : group(f, notes, Stage.HELO);
    }

    /** The sender list at MAIL (only without smtpd_delay_reject). */
    public Outcome mail(Facts f, Notes notes) {
        if (delayReject) {
            return Outcome.DUNNO;
        }
        Evaluation ev = new Evaluation(f, codes, notes, destinations);
        Outcome o = lists.get(Stage.SENDER).evaluate(ev);
        if (!(o instanceof Outcome.Refusal)) {
            Outcome unlisted = recipientMaps.implicitSender(ev);
            o = unlisted instanceof Outcome.Refusal ? unlisted : o;
        }
        return finish(ev, o);
    }

    /**
     * At RCPT: with smtpd_delay_reject the client, helo and sender lists first (each its own
     * group; the helo list only after a HELO, as in Postfix), then relay and recipient.
     */
    public Outcome rcpt(Facts f, Notes notes) {
        Evaluation ev = new Evaluation(f, codes, notes, destinations);
        if (delayReject) {
            for (Stage s : List.of(Stage.CLIENT, Stage.HELO, Stage.SENDER)) {
                if (s == Stage.HELO && f.helo() == null) {
                    continue;
                }
                ev.deferIfReject = null;
                Outcome o = lists.get(s).evaluate(ev);
                if (s == Stage.SENDER && !(o instanceof Outcome.Refusal)) {
                    o = recipientMaps.implicitSender(ev);
                }
                if (o instanceof Outcome.Refusal) {
                    return o;
                }
            }
        }
        ev.deferIfReject = null;
        Outcome o = lists.get(Stage.RELAY).evaluate(ev);
        if (o instanceof Outcome.Refusal) {
            return o;
        }
        o = finish(ev, lists.get(Stage.RECIPIENT).evaluate(ev));
        // smtpd_reject_unlisted_recipient: after the lists, whatever they permitted
        return o instanceof Outcome.Refusal ? o : recipientMaps.implicitRecipient(ev) instanceof Outcome.Refusal r ? r : o;
    }

    /** The data list at DATA. */
    public Outcome data(Facts f, Notes notes) {
        return group(f, notes, Stage.DATA);
    }

    /** The end-of-data list at the final dot. */
    public Outcome endOfData(Facts f, Notes notes) {
        return group(f, notes, Stage.END_OF_DATA);
    }

    private Outcome group(Facts f, Notes notes, Stage stage) {
        RestrictionList list = lists.get(stage);
        if (list.isEmpty()) {
            return Outcome.DUNNO;
        }
        Evaluation ev = new Evaluation(f, codes, notes, destinations);
        return finish(ev, list.evaluate(ev));
    }

    /** A "yes" under an armed DEFER_IF_PERMIT is that deferral. */
    private static Outcome finish(Evaluation ev, Outcome o) {
        if (!(o instanceof Outcome.Refusal) && ev.deferIfPermit != null) {
            SmtpReply r = ev.deferIfPermit;
            return Outcome.refusal(r, ev.deferIfPermitCheck);
        }
        return o;
    }
}
