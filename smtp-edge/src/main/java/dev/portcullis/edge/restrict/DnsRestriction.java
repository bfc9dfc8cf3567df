package dev.portcullis.edge.restrict;

import java.util.function.Consumer;

/**
 * A restriction that needs DNS answers. Before a check runs, {@link RestrictionEngine#prepare}
 * asks each one in the lists that will run which questions it needs given what is known so
 * far (so a DNSBL can ask for the TXT record once the A record says "listed"), looks them up
 * asynchronously, and repeats until nobody needs more; then the check is evaluated
 * synchronously over {@link Facts#dns()}.
 */
interface DnsRestriction extends Restriction {

    /** The questions still needed for these facts (answers already in {@code f.dns()} may be skipped). */
    void queries(Facts f, Consumer<DnsQuery> out);

    /** Whether this restriction looks at the client's name (so the session looks it up first). */
    default boolean needsClientName() {
        return false;
    }
}
