package dev.portcullis.edge.content;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.List;

/**
 * The content-filter's answer to {@code POST /api/v1/check}, as far as the edge acts on it
 * (the filter's own record is {@code dev.portcullis.content.api.Views.CheckView}; the two
 * meet only on the wire, as services do). Unknown fields are ignored so the filter can grow.
 *
 * @param decision   ACCEPT, REJECT or DISCARD
 * @param reply      for REJECT, the reply the client gets
 * @param rule       file:line of the rule that decided a REJECT or DISCARD
 * @param addHeaders header lines (without CRLF) to put on top of the forwarded message
 * @param edits      byte-range changes to the message as sent, sorted, not overlapping
 * @param actions    every action that fired, in order
 * @param hold       HOLD's text, or null
 * @param filter     FILTER's transport:destination, or null
 * @param redirect   REDIRECT's address, or null
 * @param bcc        BCC addresses
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContentVerdict(String decision, Reply reply, String rule, List<String> addHeaders, List<Edit> edits,
                             List<Fired> actions, String hold, String filter, String redirect, List<String> bcc) {

    public ContentVerdict {
        addHeaders = addHeaders == null ? List.of() : List.copyOf(addHeaders);
        edits = edits == null ? List.of() : List.copyOf(edits);
        actions = actions == null ? List.of() : List.copyOf(actions);
        bcc = bcc == null ? List.of() : List.copyOf(bcc);
    }

    public boolean rejects() {
        return "REJECT".equals(decision);
    }

    public boolean discards() {
        return "DISCARD".equals(decision);
    }

    /** The action that made the decision (REJECT/DEFER/DISCARD), for the log and the event. */
    public Fired deciding() {
        for (Fired f : actions) {
            if (f.action != null && (f.action.equals("REJECT") || f.action.equals("DEFER") || f.action.equals("DISCARD")
                    || f.action.matches("[45][0-9][0-9]"))) {
                return f;
            }
        }
        return actions.isEmpty() ? null : actions.get(actions.size() - 1);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Reply(int code, String status, String text) {
    }

    /** One change: DELETE {@code length} bytes at {@code offset}, REPLACE them with {@code text}, or PREPEND it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Edit(String kind, long offset, long length, String text, String rule) {
    }

    /** An action that fired: which, in which check (header_checks, body_checks, ...), by which rule, on which line. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Fired(String action, String checks, String rule, String line, String text, String warning) {
    }
}
