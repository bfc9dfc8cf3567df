package dev.portcullis.edge.restrict;

import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.postfix.MainCf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * What the restriction-engine tests share: an engine built from main.cf lines the way the
 * edge builds it (mydestination = ours.example, mynetworks 192.0.2.0/24), a {@link Notes}
 * sink that keeps what the engine logs and the envelope actions it fires, and the facts of a
 * RCPT. One fixture, so that the engine tests with and without DNS judge the same set-up.
 */
final class EngineFixture {

    /** What the engine logged ("action: text", "warning: text") and fired ("envelope: ..."). */
    final List<String> notes = new ArrayList<>();
    final Notes sink = new Notes() {
        @Override
        public void action(String action, String text) {
            notes.add(action + ": " + text);
        }

        @Override
        public void warning(String text) {
            notes.add("warning: " + text);
        }

        @Override
        public void honour(EnvelopeAction action) {
            notes.add("envelope: " + action.kind() + " " + action.value() + " by " + action.check());
        }
    };

    /**
     * An engine from these main.cf lines, read as /etc/portcullis/main.cf after mydestination
     * and myorigin (so the first of them is line 3 in start-up errors).
     *
     * @param relayDomains what relay_domains matches
     */
    static RestrictionEngine engine(Predicate<String> relayDomains, String... lines) {
        return RestrictionEngine.from(MainCf.parse("mydestination = ours.example\nmyorigin = ours.example\n"
                        + String.join("\n", lines) + "\n", "/etc/portcullis/main.cf").parameters(),
                a -> a.getHostAddress().startsWith("192.0.2."),
                new Destinations("ours.example"::equals, relayDomains, "ours.example"));
    }

    /** The facts of an ESMTP RCPT from a client whose name was not looked up. */
    static Facts rcpt(InetAddress client, String helo, String sender, String recipient) {
        return new Facts(client, "unknown[" + client.getHostAddress() + "]", helo, true, sender, recipient, false,
                "RCPT");
    }

    /** The refusal's reply; a test that expected one fails naming what it got instead. */
    static SmtpReply refusal(Outcome o) {
        return assertInstanceOf(Outcome.Refusal.class, o, String.valueOf(o)).reply();
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
