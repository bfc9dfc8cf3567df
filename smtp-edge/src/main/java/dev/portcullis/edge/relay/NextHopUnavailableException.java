package dev.portcullis.edge.relay;

/**
 * {@link NextHopClient#open} tried every next hop and none gave a usable session. The
 * message lists each hop and why it failed ("127.0.0.1:2525: connection refused; ...").
 */
public class NextHopUnavailableException extends NextHopException {

    private static final long serialVersionUID = 1L;

    public NextHopUnavailableException(String reason) {
        super(Kind.CONNECT, reason);
    }
}
