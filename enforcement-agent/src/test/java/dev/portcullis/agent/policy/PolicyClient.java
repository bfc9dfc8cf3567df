package dev.portcullis.agent.policy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A raw policy-protocol client for tests, and the requests Postfix sends. */
public final class PolicyClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;

    public PolicyClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    public void send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    public void sendQuietly(String text) {
        try {
            send(text);
        } catch (IOException ignored) {
            // the server may close before all is written
        }
    }

    public String ask(String request) throws IOException {
        send(request);
        return reply();
    }

    /** One reply: its lines up to the empty line, joined by newlines. */
    public String reply() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after " + b);
            }
            if (c == '\n' && prev == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.substring(0, s.length() - 1);
            }
            b.write(c);
            prev = c;
        }
    }

    public boolean closedWithin(Duration d) throws IOException {
        socket.setSoTimeout((int) d.toMillis());
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A request as Postfix 3.7 writes it at RCPT (SMTPD_POLICY_README), for {@code client}. */
    public static String request(String client, String state, String serverPort) {
        return "request=smtpd_access_policy\nprotocol_state=" + state + "\nprotocol_name=ESMTP\n"
                + "helo_name=some.example\nqueue_id=\nsender=a@b.example\nrecipient=c@d.example\n"
                + "recipient_count=0\nclient_address=" + client + "\nclient_name=unknown\n"
                + "reverse_client_name=unknown\ninstance=1a2b.3c4d.0\nsasl_method=\nsasl_username=\n"
                + "sasl_sender=\nsize=0\nccert_subject=\nccert_issuer=\nccert_fingerprint=\n"
                + "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\netrn_domain=\nstress=\n"
                + "server_address=127.0.0.1\n" + (serverPort == null ? "" : "server_port=" + serverPort + "\n")
                + "policy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n";
    }

    public static String request(String client) {
        return request(client, "RCPT", "25");
    }
}
