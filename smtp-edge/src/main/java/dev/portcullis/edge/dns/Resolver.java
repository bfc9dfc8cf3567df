package dev.portcullis.edge.dns;

import java.util.concurrent.CompletableFuture;

/**
 * An asynchronous DNS resolver. The future always completes (a timeout is a TEMPFAIL result,
 * never an exception and never a hang); it may complete on a DNS I/O thread, so a caller on
 * an event loop hops back to its own context before touching session state.
 */
public interface Resolver {

    CompletableFuture<DnsResult> query(String name, DnsType type);
}
