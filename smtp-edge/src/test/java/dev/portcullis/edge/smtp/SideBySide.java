package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.SmtpTestClient;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the side-by-side tests (a real Postfix and an edge with the same main.cf, the same
 * scripted sessions to both) share: the base settings and how a reply is rendered for the
 * comparison.
 */
final class SideBySide {

    private SideBySide() {
    }

    /**
     * The base main.cf both sides run with, in order (a test adds its restrictions): Postfix's
     * own mail is not what is compared, so no local recipients; no error sleep, and error
     * limits high enough that a long script is not cut off.
     */
    static Map<String, String> mainCf(String relayDomains) {
        Map<String, String> cf = new LinkedHashMap<>();
        cf.put("myhostname", "edge.portcullis.test");
        cf.put("mydestination", "edge.portcullis.test, ours.example");
        cf.put("relay_domains", relayDomains);
        cf.put("myorigin", "oracle.example");
        cf.put("mynetworks", "192.0.2.0/24");
        cf.put("local_recipient_maps", "");
        cf.put("smtpd_error_sleep_time", "0s");
        cf.put("smtpd_soft_error_limit", "10");
        cf.put("smtpd_hard_error_limit", "20");
        return cf;
    }

    /** A reply as compared: its first line (marked if multi-line), a queue id rendered away. */
    static String render(SmtpTestClient.Reply r) {
        String line = r.isMultiline() ? r.lines().get(0) + " (multi-line)" : r.lastLine();
        // Postfix queues ("Ok: queued as 3F2A..."); the edge passes on smtp-sink's plain "Ok".
        return line.replaceFirst("^250 2\\.0\\.0 Ok(: queued as .*)?$", "250 2.0.0 Ok (queued)");
    }
}
