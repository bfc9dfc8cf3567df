package dev.portcullis.edge.restrict;

import dev.portcullis.edge.dns.DnsResult;
import dev.portcullis.edge.dns.DnsType;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.postfix.table.TableException;
import dev.portcullis.postfix.table.TableMatch;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * DNS block and allow lists, as smtpd_check.c's find_dnsxl_addr()/find_dnsxl_domain():
 * {@code reject_rbl_client zone[=filter]} (the client address, octets reversed, IPv6 as
 * nibbles), {@code permit_dnswl_client}, and {@code reject_rhsbl_client},
 * {@code reject_rhsbl_reverse_client}, {@code reject_rhsbl_helo}, {@code reject_rhsbl_sender},
 * {@code reject_rhsbl_recipient} (the name, or the domain of the address, prepended to the
 * zone; skipped for "unknown", address literals, invalid names and names whose last label is
 * numeric). The A answer decides: with a filter ({@code zen.example=127.0.0.[2..11]}) one of
 * the addresses must match it. A listed name then gets its TXT records (joined with " / ",
 * at most 500 characters) for the reply.
 *
 * <p>The reply is rbl_reply_maps' template for the zone argument, else
 * {@code default_rbl_reply} ("$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked
 * using $rbl_domain${rbl_reason?; $rbl_reason}"), with $rbl_code = maps_rbl_reject_code
 * (554) and the enhanced code 5.7.1; a template that does not start with a 4xx/5xx code is
 * logged and answered "450 4.7.1 Service unavailable", as Postfix does. A lookup that fails
 * temporarily gives the client the benefit of the doubt (a warning, then DUNNO) - "we can't
 * block all email simply because an RBL server is unavailable"; for permit_dnswl_client it
 * arms DEFER_IF_REJECT instead. permit_dnswl_client never permits a RCPT to a destination
 * that is not ours (Postfix's safety rule).
 */
final class Dnsbl implements DnsRestriction {

    enum Kind {
        REJECT_RBL_CLIENT("Client host"),
        PERMIT_DNSWL_CLIENT("Client host"),
        REJECT_RHSBL_CLIENT("Client host"),
        REJECT_RHSBL_REVERSE_CLIENT("Unverified Client host"),
        REJECT_RHSBL_HELO("Helo command"),
        REJECT_RHSBL_SENDER("Sender address"),
        REJECT_RHSBL_RECIPIENT("Recipient address");

        final String replyClass;

        Kind(String replyClass) {
            this.replyClass = replyClass;
        }

        boolean byAddress() {
            return this == REJECT_RBL_CLIENT || this == PERMIT_DNSWL_CLIENT;
        }
    }

    /** How TXT records are joined, and the most of them kept (RBL_TXT_LIMIT). */
    private static final int TXT_LIMIT = 500;

    private enum Listed { LISTED, NOT_LISTED, SOFT }

    private final Kind kind;
    private final String argument;
    private final String zone;
    private final IpMatch filter;
    private final RblReplies replies;
    private final String name;

    /**
     * @param argument "zone" or "zone=filter"
     * @throws IllegalArgumentException for a bad filter or an empty zone
     */
    Dnsbl(Kind kind, String argument, RblReplies replies) {
        this.kind = kind;
        this.argument = argument;
        int eq = argument.indexOf('=');
        this.zone = (eq < 0 ? argument : argument.substring(0, eq)).toLowerCase(Locale.ROOT);
        if (zone.isEmpty() || !HostnameChecks.validHostname(zone.endsWith(".") ? zone.substring(0, zone.length() - 1)
                : zone)) {
            throw new IllegalArgumentException("bad DNS list domain \"" + argument + "\"");
        }
        this.filter = eq < 0 ? null : IpMatch.parse(argument.substring(eq + 1));
        this.replies = replies;
        this.name = Restriction.nameOf(kind) + " " + argument;
    }

    @Override
    public String restriction() {
        return name;
    }

    @Override
    public boolean needsClientName() {
        return kind == Kind.REJECT_RHSBL_CLIENT || kind == Kind.REJECT_RHSBL_REVERSE_CLIENT;
    }

    /** $rbl_what: the address or name that was looked up (null: nothing to look up). */
    private String what(Facts f) {
        return switch (kind) {
            case REJECT_RBL_CLIENT, PERMIT_DNSWL_CLIENT -> f.client().getHostAddress();
            case REJECT_RHSBL_CLIENT -> f.names().known() ? f.names().name() : null;
            case REJECT_RHSBL_REVERSE_CLIENT -> ClientName.UNKNOWN.equalsIgnoreCase(f.names().reverseName()) ? null
                    : f.names().reverseName();
            case REJECT_RHSBL_HELO -> f.helo();
            case REJECT_RHSBL_SENDER -> f.sender() == null || f.sender().isEmpty() ? null : f.sender();
            case REJECT_RHSBL_RECIPIENT -> f.recipient();
        };
    }

    /** The DNS name to ask for, or null when this check does not apply. */
    private String queryName(Facts f) {
        String what = what(f);
        if (what == null) {
            return null;
        }
        if (kind.byAddress()) {
            return ClientNames.reversedLabels(f.client()) + zone;
        }
        String domain = what;
        int at = what.lastIndexOf('@');
        if (at >= 0) {
            domain = what.substring(at + 1);
            if (domain.startsWith("[")) {
                return null;
            }
        }
        if (domain.isEmpty() || !HostnameChecks.validHostname(domain)) {
            return null;
        }
        int dot = domain.lastIndexOf('.');
        String last = dot < 0 ? domain : domain.substring(dot + 1);
        if (last.chars().allMatch(Character::isDigit)) {
            return null; // "No IP queries": Postfix skips names ending in a number
        }
        return domain + "." + zone;
    }

    @Override
    public void queries(Facts f, Consumer<DnsQuery> out) {
        String q = queryName(f);
        if (q == null) {
            return;
        }
        DnsQuery a = new DnsQuery(q, DnsType.A);
        out.accept(a);
        if (kind != Kind.PERMIT_DNSWL_CLIENT && f.dns().has(a) && listed(f.dns().get(a)) == Listed.LISTED) {
            out.accept(new DnsQuery(q, DnsType.TXT));
        }
    }

    private Listed listed(DnsResult a) {
        if (a.status() == DnsResult.Status.TEMPFAIL) {
            return Listed.SOFT;
        }
        if (!a.ok()) {
            return Listed.NOT_LISTED;
        }
        if (filter == null) {
            return Listed.LISTED;
        }
        for (String v : a.values()) {
            if (filter.matches(v)) {
                return Listed.LISTED;
            }
        }
        return Listed.NOT_LISTED;
    }

    @Override
    public Outcome apply(Evaluation ev) {
        Facts f = ev.facts;
        String q = queryName(f);
        if (q == null) {
            return Outcome.DUNNO;
        }
        if (kind == Kind.PERMIT_DNSWL_CLIENT && "RCPT".equals(f.command()) && f.recipient() != null
                && !ev.destinations.authorizedDestination(f.recipient())) {
            return Outcome.DUNNO; // "Safety: don't whitelist unauthorized recipients."
        }
        DnsResult a = f.dns().get(new DnsQuery(q, DnsType.A));
        Listed l = listed(a);
        if (kind == Kind.PERMIT_DNSWL_CLIENT) {
            return switch (l) {
                case LISTED -> new Outcome.Permit(name);
                case NOT_LISTED -> Outcome.DUNNO;
                case SOFT -> {
                    ev.armDeferral(false, Evaluation.reply(450, "4.7.1", what(f), kind.replyClass,
                            "Service unavailable"), name);
                    yield Outcome.DUNNO;
                }
            };
        }
        if (l == Listed.SOFT) {
            ev.notes.warning(Untrusted.printable(q, 300) + ": RBL lookup error: " + a.error());
            return Outcome.DUNNO;
        }
        if (l == Listed.NOT_LISTED) {
            return Outcome.DUNNO;
        }
        DnsResult txt = f.dns().get(new DnsQuery(q, DnsType.TXT));
        String reason = txt.ok() ? joinTxt(txt) : "";
        return ev.refuse(reply(ev, Untrusted.printable(what(f), 320), reason), name);
    }

    private static String joinTxt(DnsResult txt) {
        StringBuilder sb = new StringBuilder();
        for (String v : txt.values()) {
            if (sb.length() > 0) {
                if (TXT_LIMIT - sb.length() <= 3) {
                    break;
                }
                sb.append(" / ");
            }
            sb.append(v, 0, Math.min(v.length(), TXT_LIMIT - sb.length()));
            if (sb.length() >= TXT_LIMIT) {
                break;
            }
        }
        return sb.toString();
    }

    /** rbl_reject_reply(): the template expanded, then checked for a leading 4xx/5xx code. */
    private SmtpReply reply(Evaluation ev, String what, String reason) {
        String template = null;
        if (replies.replyMaps() != null) {
            try {
                Optional<TableMatch> m = replies.replyMaps().find(argument.toLowerCase(Locale.ROOT));
                template = m.map(TableMatch::value).orElse(null);
            } catch (TableException e) {
                ev.notes.warning(replies.replyMaps().name() + " lookup error for \"" + argument + "\": "
                        + e.getMessage());
                return SmtpReply.of(451, "4.3.5", "Server configuration error");
            }
        }
        RblTemplate.Values values = new RblTemplate.Values(replies.code(), zone, what, kind.replyClass,
                Untrusted.printable(reason, TXT_LIMIT), ev.facts);
        String why = template == null ? null : RblTemplate.expand(template, values);
        if (why == null) {
            if (template != null) {
                ev.notes.warning("rbl_reject_reply: bad rbl reply template for domain " + argument + ": "
                        + Untrusted.printable(template, 200));
            }
            why = RblTemplate.expand(replies.defaultTemplate(), values);
            if (why == null) {
                why = RblTemplate.expand(RblReplies.DEFAULT_RBL_REPLY, values);
            }
        }
        if (why.length() < 4 || (why.charAt(0) != '4' && why.charAt(0) != '5') || !Character.isDigit(why.charAt(1))
                || !Character.isDigit(why.charAt(2)) || why.charAt(3) != ' ') {
            ev.notes.warning("rbl response code configuration error: " + Untrusted.printable(why, 200));
            return SmtpReply.of(450, "4.7.1", "Service unavailable");
        }
        int code = Integer.parseInt(why.substring(0, 3));
        String rest = why.substring(4).strip();
        String dsn = "4.7.1";
        int sp = rest.indexOf(' ');
        String first = sp < 0 ? rest : rest.substring(0, sp);
        if (SmtpReply.ENHANCED.matcher(first).matches()) {
            dsn = first;
            rest = sp < 0 ? "" : rest.substring(sp + 1).strip();
        }
        return SmtpReply.of(code, Evaluation.fixDsn(code, dsn), rest.isEmpty() ? "Service unavailable" : rest);
    }
}
