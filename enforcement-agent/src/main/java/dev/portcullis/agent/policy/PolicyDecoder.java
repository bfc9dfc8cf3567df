package dev.portcullis.agent.policy;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits the byte stream of one policy connection into requests: {@code name=value} lines,
 * each ended by a newline (a carriage return before it is dropped), an empty line ending the
 * request (SMTPD_POLICY_README, "Protocol description"). Requests may follow each other on
 * one connection without waiting for the replies; they are delivered in order.
 *
 * <p>Hostile input: a line longer than {@code maxLine} bytes is not buffered: the rest of it
 * is skipped up to the next newline and counted, and the request goes on without it (the
 * attributes a decision needs are short; a long {@code sender} or {@code ccert_subject} must
 * not stop a banned client from being refused). A line without '=' or with an empty name is
 * skipped and counted. A request over {@code maxRequest} bytes or {@code maxAttributes}
 * lines is a protocol violation no Postfix commits: {@link #feed} returns false and the
 * connection should be closed (Postfix then applies its own
 * {@code smtpd_policy_service_default_action}, a 451 by default, so nothing passes unchecked).
 *
 * <p>One instance per connection, not thread-safe (it runs on the connection's event loop).
 */
final class PolicyDecoder {

    private final int maxLine;
    private final int maxRequest;
    private final int maxAttributes;
    private final byte[] line;
    private int length;
    private boolean discarding;
    private int requestBytes;
    private int attributes;
    private int skipped;
    private long skippedTotal;
    private String request;
    private String protocolState;
    private String clientAddress;
    private String serverPort;
    private String queueId;

    PolicyDecoder(int maxLine, int maxRequest, int maxAttributes) {
        this.maxLine = maxLine;
        this.maxRequest = maxRequest;
        this.maxAttributes = maxAttributes;
        this.line = new byte[maxLine];
    }

    /**
     * Reads {@code data}; every request it completes goes to {@code out}.
     *
     * @return false when the client broke a request limit (close the connection)
     */
    boolean feed(byte[] data, Consumer<PolicyRequest> out) {
        for (byte b : data) {
            if (b == '\n') {
                if (discarding) {
                    discarding = false;
                    skipped++;
                    skippedTotal++;
                } else if (!endOfLine(out)) {
                    return false;
                }
                length = 0;
                continue;
            }
            if (++requestBytes > maxRequest) {
                return false;
            }
            if (discarding) {
                continue;
            }
            if (length == maxLine) {
                discarding = true;
                continue;
            }
            line[length++] = b;
        }
        return true;
    }

    /** Whether a request has begun and not yet ended (bytes or lines since the last empty line). */
    boolean inRequest() {
        return requestBytes > 0 || attributes > 0 || skipped > 0;
    }

    /** Lines skipped on this connection, as too long or malformed. */
    long skippedTotal() {
        return skippedTotal;
    }

    private boolean endOfLine(Consumer<PolicyRequest> out) {
        int n = length;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            out.accept(new PolicyRequest(request, protocolState, clientAddress, serverPort, queueId, skipped));
            reset();
            return true;
        }
        if (++attributes > maxAttributes) {
            return false;
        }
        int eq = -1;
        for (int i = 0; i < n; i++) {
            if (line[i] == '=') {
                eq = i;
                break;
            }
        }
        if (eq <= 0) {
            skipped++;
            skippedTotal++;
            return true;
        }
        String name = new String(line, 0, eq, StandardCharsets.ISO_8859_1);
        switch (name) {
            case "request" -> request = request != null ? request : value(eq, n);
            case "protocol_state" -> protocolState = protocolState != null ? protocolState : value(eq, n);
            case "client_address" -> clientAddress = clientAddress != null ? clientAddress : value(eq, n);
            case "server_port" -> serverPort = serverPort != null ? serverPort : value(eq, n);
            case "queue_id" -> queueId = queueId != null ? queueId : value(eq, n);
            default -> {
                // every other attribute is ignored, as the protocol asks
            }
        }
        return true;
    }

    private String value(int eq, int end) {
        return new String(line, eq + 1, end - eq - 1, StandardCharsets.UTF_8);
    }

    private void reset() {
        requestBytes = 0;
        attributes = 0;
        skipped = 0;
        request = null;
        protocolState = null;
        clientAddress = null;
        serverPort = null;
        queueId = null;
    }
}
