package dev.portcullis.edge.restrict;

import dev.portcullis.edge.dns.DnsResult;
import dev.portcullis.edge.dns.DnsType;
import dev.portcullis.edge.protocol.SmtpReply;

import java.util.function.Consumer;

/**
 * The "unknown" restrictions, worded and coded as Postfix 3.7's smtpd_check.c:
 * <ul>
 * <li>{@code reject_unknown_client_hostname} (old name reject_unknown_client): the client name
 * is not forward-confirmed; unknown_client_reject_code (450) when the lookups said no,
 * 450 when they failed temporarily; "Client host rejected: cannot find your hostname, [ip]",
 * 4.7.25.</li>
 * <li>{@code reject_unknown_reverse_client_hostname}: no valid PTR; same codes (PERM only),
 * "cannot find your reverse hostname", 4.7.1.</li>
 * <li>{@code reject_unknown_helo_hostname} (old name reject_unknown_hostname): the HELO name has
 * no A, AAAA or MX record (a null MX is fine for a host); unknown_hostname_reject_code (450)
 * "&lt;helo&gt;: Helo command rejected: Host not found", 4.7.1; on a temporary failure
 * unknown_helo_hostname_tempfail_action (defer_if_permit) with 450. An address literal is
 * judged as reject_invalid_helo_hostname judges it.</li>
 * <li>{@code reject_unknown_sender_domain} / {@code reject_unknown_recipient_domain}: the
 * domain has no MX, A or AAAA record: unknown_address_reject_code (450), "Domain not found",
 * 4.1.8 (sender) / 4.1.2 (recipient); a null MX (RFC 7505) is 550 5.7.27 / 556 5.1.10
 * "Domain D does not accept mail (nullMX)"; a temporary failure is
 * unknown_address_tempfail_action (defer_if_permit) with 450. The null sender, address
 * literals, addresses without a domain and domains in mydestination are not looked up
 * (Postfix resolves those locally).</li>
 * </ul>
 * As dns_lookup_l(): for mail domains a (null) MX decides, else any A or AAAA record is
 * enough - also after an NXDOMAIN for the MX (the real Postfix goes on, DnsSideBySideTest);
 * for HELO names any A, AAAA or MX record. With none, a temporary failure of any of the
 * lookups is a temporary failure, else "not found". All questions are asked at once.
 */
final class UnknownChecks implements DnsRestriction {

    enum Which {
        REJECT_UNKNOWN_CLIENT_HOSTNAME, REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME, REJECT_UNKNOWN_HELO_HOSTNAME,
        REJECT_UNKNOWN_SENDER_DOMAIN, REJECT_UNKNOWN_RECIPIENT_DOMAIN
    }

    /** dns_lookup_l()'s verdict over the answers. */
    private enum Found { OK, NULLMX, NOTFOUND, RETRY }

    private final Which which;
    private final int code;
    /** The *_tempfail_action: true = defer_if_permit (the default), false = defer. */
    private final boolean deferIfPermit;

    UnknownChecks(Which which, int code, boolean deferIfPermit) {
        this.which = which;
        this.code = code;
        this.deferIfPermit = deferIfPermit;
    }

    @Override
    public String restriction() {
        return Restriction.nameOf(which);
    }

    @Override
    public boolean needsClientName() {
        return which == Which.REJECT_UNKNOWN_CLIENT_HOSTNAME || which == Which.REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME;
    }

    @Override
    public void queries(Facts f, Consumer<DnsQuery> out) {
        String name = lookupName(f);
        if (name == null) {
            return;
        }
        if (which == Which.REJECT_UNKNOWN_HELO_HOSTNAME) {
            out.accept(new DnsQuery(name, DnsType.A));
            out.accept(new DnsQuery(name, DnsType.AAAA));
            out.accept(new DnsQuery(name, DnsType.MX));
        } else {
            out.accept(new DnsQuery(name, DnsType.MX));
            out.accept(new DnsQuery(name, DnsType.A));
            out.accept(new DnsQuery(name, DnsType.AAAA));
        }
    }

    /** The name to look up, or null when this check has nothing to ask the DNS. */
    private String lookupName(Facts f) {
        switch (which) {
            case REJECT_UNKNOWN_HELO_HOSTNAME -> {
                String h = f.helo();
                if (h == null || h.startsWith("[") || !HostnameChecks.validHostname(trimDot(h))) {
                    return null;
                }
                return trimDot(h);
            }
            case REJECT_UNKNOWN_SENDER_DOMAIN, REJECT_UNKNOWN_RECIPIENT_DOMAIN -> {
                String d = mailDomain(which == Which.REJECT_UNKNOWN_SENDER_DOMAIN ? f.sender() : f.recipient());
                return d == null || !HostnameChecks.validHostname(d) ? null : d;
            }
            default -> {
                return null;
            }
        }
    }

    private static String mailDomain(String address) {
        if (address == null || address.isEmpty()) {
            return null;
        }
        int at = address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            return null;
        }
        String d = trimDot(address.substring(at + 1));
        return d.startsWith("[") ? null : d;
    }

    @Override
    public Outcome apply(Evaluation ev) {
        Facts f = ev.facts;
        String ip = f.client().getHostAddress();
        switch (which) {
            case REJECT_UNKNOWN_CLIENT_HOSTNAME -> {
                ClientName n = f.names();
                if (n.nameStatus() == ClientName.OK) {
                    return Outcome.DUNNO;
                }
                int c = n.nameStatus() >= ClientName.PERM ? code : 450;
                return ev.refuse(SmtpReply.of(c, Evaluation.fixDsn(c, "4.7.25"),
                        "Client host rejected: cannot find your hostname, [" + ip + "]"), restriction());
            }
            case REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME -> {
                ClientName n = f.names();
                if (n.reverseStatus() == ClientName.OK) {
                    return Outcome.DUNNO;
                }
                int c = n.reverseStatus() == ClientName.PERM ? code : 450;
                return ev.refuse(SmtpReply.of(c, Evaluation.fixDsn(c, "4.7.1"),
                        "Client host rejected: cannot find your reverse hostname, [" + ip + "]"), restriction());
            }
            case REJECT_UNKNOWN_HELO_HOSTNAME -> {
                return helo(ev);
            }
            default -> {
                return mailDomain(ev);
            }
        }
    }

    private Outcome helo(Evaluation ev) {
        String h = ev.facts.helo();
        if (h == null) {
            return Outcome.DUNNO;
        }
        String cls = Stage.HELO.replyClass();
        if (h.startsWith("[")) {
            // Postfix judges an address literal with reject_invalid_hostaddr here.
            return HostnameChecks.validLiteral(h) ? Outcome.DUNNO
                    : ev.refuse(ev.codes.invalidHostname(), "5.5.2", h, cls, "invalid ip address", restriction());
        }
        String name = lookupName(ev.facts);
        Found found;
        if (name == null) {
            found = Found.NOTFOUND; // not a name the DNS could hold
        } else {
            DnsAnswers d = ev.facts.dns();
            DnsResult a = d.get(new DnsQuery(name, DnsType.A));
            DnsResult aaaa = d.get(new DnsQuery(name, DnsType.AAAA));
            DnsResult mx = d.get(new DnsQuery(name, DnsType.MX));
            if (a.ok() || aaaa.ok() || mx.ok()) {
                found = Found.OK; // a null MX included: "Allow MTA names to have nullMX records"
            } else if (a.status() == DnsResult.Status.TEMPFAIL || aaaa.status() == DnsResult.Status.TEMPFAIL
                    || mx.status() == DnsResult.Status.TEMPFAIL) {
                found = Found.RETRY;
            } else {
                found = Found.NOTFOUND;
            }
        }
        return switch (found) {
            case OK, NULLMX -> Outcome.DUNNO;
            case NOTFOUND -> ev.refuse(code, "4.7.1", h, cls, "Host not found", restriction());
            case RETRY -> tempfail(ev, Evaluation.reply(450, "4.7.1", h, cls, "Host not found"));
        };
    }

    private Outcome mailDomain(Evaluation ev) {
        boolean sender = which == Which.REJECT_UNKNOWN_SENDER_DOMAIN;
        String address = sender ? ev.facts.sender() : ev.facts.recipient();
        String domain = mailDomain(address);
        if (domain == null || ev.destinations.finalDomain(domain)) {
            return Outcome.DUNNO;
        }
        String cls = (sender ? Stage.SENDER : Stage.RECIPIENT).replyClass();
        String dsn = sender ? "4.1.8" : "4.1.2";
        Found found;
        if (!HostnameChecks.validHostname(domain)) {
            found = Found.NOTFOUND;
        } else {
            DnsAnswers d = ev.facts.dns();
            DnsResult mx = d.get(new DnsQuery(domain, DnsType.MX));
            DnsResult a = d.get(new DnsQuery(domain, DnsType.A));
            DnsResult aaaa = d.get(new DnsQuery(domain, DnsType.AAAA));
            if (mx.ok()) {
                found = nullMx(mx) ? Found.NULLMX : Found.OK;
            } else if (a.ok() || aaaa.ok()) {
                found = Found.OK;
            } else if (mx.status() == DnsResult.Status.TEMPFAIL || a.status() == DnsResult.Status.TEMPFAIL
                    || aaaa.status() == DnsResult.Status.TEMPFAIL) {
                found = Found.RETRY;
            } else {
                found = Found.NOTFOUND;
            }
        }
        return switch (found) {
            case OK -> Outcome.DUNNO;
            case NULLMX -> {
                int c = sender ? 550 : 556;
                yield ev.refuse(c, sender ? "4.7.27" : "4.1.10", address, cls,
                        "Domain " + domain + " does not accept mail (nullMX)", restriction());
            }
            case NOTFOUND -> ev.refuse(code, dsn, address, cls, "Domain not found", restriction());
            case RETRY -> tempfail(ev, Evaluation.reply(450, dsn, address, cls, "Domain not found"));
        };
    }

    /** RFC 7505: a single MX record with preference 0 and the root as exchange. */
    private static boolean nullMx(DnsResult mx) {
        return mx.values().size() == 1 && mx.values().get(0).equals("0 .");
    }

    /** DEFER_IF_PERMIT2(): defer_if_permit arms the deferral, defer refuses now. */
    private Outcome tempfail(Evaluation ev, SmtpReply reply) {
        if (deferIfPermit) {
            if (ev.warnIfReject) {
                ev.notes.action("reject_warning", reply.code() + " " + reply.text());
                return Outcome.DUNNO;
            }
            ev.armDeferral(true, reply, restriction());
            return Outcome.DUNNO;
        }
        return ev.refuse(reply, restriction());
    }

    private static String trimDot(String name) {
        return name.length() > 1 && name.endsWith(".") && !name.endsWith("..") ? name.substring(0, name.length() - 1)
                : name;
    }
}
