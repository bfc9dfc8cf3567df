package dev.portcullis.edge.proxy;

import java.net.InetSocketAddress;

/**
 * A decoded PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2).
 *
 * @param version     1 (text) or 2 (binary)
 * @param command     what the header says about the connection
 * @param source      the client's address and port; null unless {@code command} is {@link Command#PROXY}
 * @param destination the address the client connected to; null unless {@code command} is {@link Command#PROXY}
 */
public record ProxyHeader(int version, Command command, InetSocketAddress source, InetSocketAddress destination) {

    /** What a header says. */
    public enum Command {
        /** A relayed connection: {@code source} is the real client. */
        PROXY,
        /**
         * The proxy speaks for itself (v2 LOCAL: health checks), or does not know the client
         * (v1 {@code UNKNOWN}, v2 {@code AF_UNSPEC}): the connection's own peer is the client,
         * as Postfix does it.
         */
        LOCAL
    }

    public ProxyHeader {
        if ((command == Command.PROXY) != (source != null && destination != null)) {
            throw new IllegalArgumentException("PROXY carries both addresses, LOCAL none");
        }
    }

    static ProxyHeader local(int version) {
        return new ProxyHeader(version, Command.LOCAL, null, null);
    }
}
