/**
 * content-filter - Postfix header_checks, mime_header_checks, nested_header_checks and
 * body_checks as a service. The full manual page (which table sees which line, every action
 * and what the edge does with it, the REST contract, limits and deviations, parameters) is
 * {@code content-filter/README.md}; this is its summary.
 *
 * <h2>NAME</h2>
 * content-filter - cleanup(8)'s content inspection, before the edge answers end of DATA.
 *
 * <h2>SUMMARY</h2>
 * {@link dev.portcullis.content.check.Inspector} walks a message with mime4j's
 * {@code MimeTokenStream} and looks each logical header and each body line up in the tables
 * Postfix would use for it ({@link dev.portcullis.content.check.Checks}), with
 * postfix-compat's linear-time regexp/pcre tables; {@link dev.portcullis.content.check.Action}
 * reads a result as cleanup does; the {@link dev.portcullis.content.check.Verdict} says REJECT
 * (with the reply), DISCARD, or ACCEPT with byte-range edits, envelope changes and headers
 * that {@link dev.portcullis.content.check.Rewriter} applies. {@link
 * dev.portcullis.content.rules.RuleBook} holds the tables and reloads changed files, keeping
 * the last good version.
 *
 * <h2>PROTOCOL</h2>
 * {@code POST /api/v1/check} (message/rfc822 body, envelope as query parameters) -> verdict;
 * {@code POST /api/v1/test} (a table and one line, like postmap -q); {@code GET /api/v1/rules};
 * {@code /q/health}, {@code /q/metrics}, {@code /q/openapi}.
 *
 * <h2>SECURITY</h2>
 * Bearer token on {@code /api}; the message is hostile input: bounded request, linear scans,
 * linear-time regular expressions, printable 200-character prefixes in verdicts and logs.
 *
 * <h2>LIMITS</h2>
 * MIME structure is mime4j's, not Postfix's mime_state, on malformed input; lines over
 * line_length_limit are looked up whole; keys are UTF-8 text. DEFER and numeric replies are
 * unknown actions in header/body checks, as in Postfix 3.7.
 *
 * <h2>CONFIGURATION</h2>
 * header_checks, mime_header_checks ($header_checks), nested_header_checks ($header_checks),
 * body_checks, body_checks_size_limit (51200), header_size_limit (102400),
 * disable_mime_input_processing (no), message_size_limit (10240000) from PORTCULLIS_MAIN_CF;
 * PORTCULLIS_API_TOKEN; portcullis.content.reload-interval (5s).
 */
package dev.portcullis.content;
