package dev.portcullis.edge.dns;

import java.util.List;

/**
 * One answer: its status, the values of the records of the asked type (A/AAAA: the address
 * as text; PTR: the name without the final dot; MX: "preference host", the null MX being
 * "0 ."; TXT: the character-strings of one record joined), and how long it may be cached.
 *
 * @param status     OK (at least one record), NXDOMAIN, NODATA (the name exists, no record
 *                   of that type) or TEMPFAIL (timeout, SERVFAIL, REFUSED, unreachable server)
 * @param values     the record values, empty unless OK
 * @param ttlSeconds the cache lifetime (the smallest record TTL, or the SOA negative TTL)
 * @param error      for TEMPFAIL, what went wrong (for the log); otherwise null
 */
public record DnsResult(Status status, List<String> values, long ttlSeconds, String error) {

    public enum Status { OK, NXDOMAIN, NODATA, TEMPFAIL }

    public DnsResult {
        values = List.copyOf(values);
    }

    public static DnsResult tempfail(String error) {
        return new DnsResult(Status.TEMPFAIL, List.of(), 0, error);
    }

    public boolean ok() {
        return status == Status.OK;
    }

    /** NXDOMAIN or NODATA: a definite "no". */
    public boolean notFound() {
        return status == Status.NXDOMAIN || status == Status.NODATA;
    }
}
