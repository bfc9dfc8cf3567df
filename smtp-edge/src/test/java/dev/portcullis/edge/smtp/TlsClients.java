package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.SmtpTestClient;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

/**
 * JSSE clients for STARTTLS tests: trust the test certificate, choose the protocols. Public
 * for the Quarkus tests in the parent package too, so that there is one trust-all client.
 */
public final class TlsClients {

    private TlsClients() {
    }

    /**
     * Upgrades {@code plain} (after "220 Ready to start TLS") with the given protocols (e.g.
     * "TLSv1.2"); the handshake is done when this returns.
     */
    public static SmtpTestClient upgrade(Socket plain, String... protocols) throws IOException {
        SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(plain,
                plain.getInetAddress().getHostAddress(), plain.getPort(), true);
        if (protocols.length > 0) {
            tls.setEnabledProtocols(protocols);
        }
        tls.setSoTimeout(10_000);
        tls.startHandshake();
        return SmtpTestClient.over(tls);
    }

    public static SSLContext trustAll() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[]{new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                    // a test client: the edge's certificate is self-signed
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                    // a test client: the edge's certificate is self-signed
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
