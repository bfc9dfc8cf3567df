package dev.portcullis.edge.restrict;

import dev.portcullis.edge.dns.DnsResult;

import java.util.HashMap;
import java.util.Map;

/**
 * The DNS answers prefetched for one check. Immutable. A question that was not asked (or
 * whose answer did not arrive) reads as TEMPFAIL, so a restriction never sees "not listed"
 * for a lookup that did not happen.
 */
public final class DnsAnswers {

    /** No answers at all. */
    public static final DnsAnswers NONE = new DnsAnswers(Map.of());

    private static final DnsResult NOT_ASKED = DnsResult.tempfail("not looked up");

    private final Map<DnsQuery, DnsResult> answers;

    private DnsAnswers(Map<DnsQuery, DnsResult> answers) {
        this.answers = answers;
    }

    public boolean has(DnsQuery q) {
        return answers.containsKey(q);
    }

    public DnsResult get(DnsQuery q) {
        return answers.getOrDefault(q, NOT_ASKED);
    }

    /** These answers plus {@code more}. */
    public DnsAnswers plus(Map<DnsQuery, DnsResult> more) {
        Map<DnsQuery, DnsResult> m = new HashMap<>(answers);
        m.putAll(more);
        return new DnsAnswers(Map.copyOf(m));
    }

    public int size() {
        return answers.size();
    }
}
