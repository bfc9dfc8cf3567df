package dev.portcullis.edge.restrict;

import dev.portcullis.postfix.table.LookupTable;

/**
 * How DNSBL refusals are worded: {@code maps_rbl_reject_code} (554, $rbl_code),
 * {@code default_rbl_reply}, and {@code rbl_reply_maps} (templates by DNS list argument;
 * null when not set).
 */
record RblReplies(int code, String defaultTemplate, LookupTable replyMaps) {

    /** Postfix 3.7's default_rbl_reply. */
    static final String DEFAULT_RBL_REPLY =
            "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}";
}
