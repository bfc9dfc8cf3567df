package dev.portcullis.edge.content;

/**
 * Whether and how the edge checks message content before it answers the final dot: the
 * client of the content-filter service (null: no check), and what a session does when the
 * filter cannot give a verdict.
 *
 * @param client    the content-filter client, or null when {@code portcullis.content-filter.url} is unset
 * @param onFailure {@link FailureAction#TEMPFAIL} (451 4.3.0, the client retries later: nothing
 *                  unchecked gets through) or {@link FailureAction#ACCEPT} (fail open: the
 *                  message is forwarded unchecked and the failure counted)
 * @param maxHeld   the most bytes held for one message while it is checked (message_size_limit,
 *                  or 64 MiB when that is 0, "no limit")
 */
public record ContentCheck(ContentFilterClient client, FailureAction onFailure, long maxHeld) {

    public static final ContentCheck NONE = new ContentCheck(null, FailureAction.TEMPFAIL, 0);

    public enum FailureAction {
        TEMPFAIL, ACCEPT;

        /** {@code tempfail} or {@code accept}, case-insensitive. */
        public static FailureAction parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "tempfail" -> TEMPFAIL;
                case "accept" -> ACCEPT;
                default -> throw new IllegalArgumentException(
                        "portcullis.content-filter.failure-action must be tempfail or accept, not '" + s + "'");
            };
        }
    }

    public boolean enabled() {
        return client != null;
    }
}
