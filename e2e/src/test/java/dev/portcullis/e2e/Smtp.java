package dev.portcullis.e2e;

import dev.portcullis.testkit.SmtpTestClient;
import dev.portcullis.testkit.SmtpTestClient.Reply;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SMTP sessions as a client from a chosen 127.x source address would make them. */
final class Smtp {

    static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String HOST = "127.0.0.1";

    private Smtp() {
    }

    /** Connects from {@code sourceIp}; the caller reads the greeting. */
    static SmtpTestClient connect(Fleet.Edge edge, String sourceIp) {
        try {
            return SmtpTestClient.connect(HOST, edge.smtpPort(), sourceIp, TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("connecting to " + edge.id() + " from " + sourceIp + " failed", e);
        }
    }

    /**
     * A session that only says QUIT: returns the greeting (a 220, or the 421 of a refusal, after
     * which the edge hangs up).
     */
    static Reply greetAndQuit(Fleet.Edge edge, String sourceIp) {
        try (SmtpTestClient c = connect(edge, sourceIp)) {
            Reply greeting = c.readReply();
            if (greeting.code() == 220) {
                assertEquals(221, c.command("QUIT").code(), edge.id() + ": QUIT from " + sourceIp);
            }
            return greeting;
        } catch (IOException e) {
            throw new UncheckedIOException(edge.id() + ": session from " + sourceIp + " failed", e);
        }
    }

    /** A session that delivers one message to {@code recipient}; returns the reply to the final dot. */
    static Reply deliver(Fleet.Edge edge, String sourceIp, String recipient) {
        try (SmtpTestClient c = connect(edge, sourceIp)) {
            assertEquals(220, c.readReply().code(), edge.id() + ": greeting for " + sourceIp);
            assertEquals(250, c.command("EHLO client.e2e.example").code());
            assertEquals(250, c.command("MAIL FROM:<sender@client.e2e.example>").code());
            Reply rcpt = c.command("RCPT TO:<" + recipient + ">");
            assertEquals(250, rcpt.code(), edge.id() + ": RCPT " + recipient + " from " + sourceIp + ": " + rcpt);
            assertEquals(354, c.command("DATA").code());
            c.send("Subject: e2e from " + sourceIp);
            c.send("");
            c.send("still served");
            Reply done = c.command(".");
            c.command("QUIT");
            return done;
        } catch (IOException e) {
            throw new UncheckedIOException(edge.id() + ": session from " + sourceIp + " failed", e);
        }
    }

    /**
     * A session that sends {@code message} (CRLF lines, not dot-stuffed: this stuffs it) to
     * {@code recipient}; returns the reply to the final dot.
     */
    static Reply deliverRaw(Fleet.Edge edge, String sourceIp, String recipient, String message) {
        try (SmtpTestClient c = connect(edge, sourceIp)) {
            assertEquals(220, c.readReply().code(), edge.id() + ": greeting for " + sourceIp);
            assertEquals(250, c.command("EHLO client.e2e.example").code());
            assertEquals(250, c.command("MAIL FROM:<sender@client.e2e.example>").code());
            assertEquals(250, c.command("RCPT TO:<" + recipient + ">").code());
            assertEquals(354, c.command("DATA").code());
            String stuffed = message.replaceAll("(?m)^\\.", "..");
            c.sendRaw(stuffed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Reply done = c.command(".");
            c.command("QUIT");
            return done;
        } catch (IOException e) {
            throw new UncheckedIOException(edge.id() + ": session from " + sourceIp + " failed", e);
        }
    }

    /** The exact refusal of a client over an anvil connection limit, local or cluster-wide. */
    static String tooManyConnections(String myhostname, String ip) {
        return "421 4.7.0 " + myhostname + " Error: too many connections from " + ip;
    }
}
