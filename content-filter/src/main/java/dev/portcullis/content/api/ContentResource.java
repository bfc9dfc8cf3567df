package dev.portcullis.content.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.content.ContentService;
import dev.portcullis.content.check.Action;
import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.Table;
import dev.portcullis.content.check.Verdict;
import dev.portcullis.content.config.ContentSettings;
import dev.portcullis.content.rules.RuleBook;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1}: check a message, test one line against a table, list the tables in
 * force. Every malformed input gets 400 with the reason; nothing untrusted is echoed beyond
 * a short printable prefix.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "content", description = "Postfix header_checks and body_checks")
@SecurityScheme(securitySchemeName = "token", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "PORTCULLIS_API_TOKEN")
@SecurityRequirement(name = "token")
public class ContentResource {

    /** Longest envelope value accepted (an RFC 5321 path is at most 256 octets). */
    static final int MAX_ADDRESS = 998;
    static final int MAX_RECIPIENTS = 10_000;
    /** Longest line {@code /test} takes: header_size_limit's default. */
    static final int MAX_TEST_LINE = 102_400;

    @Inject
    ContentService service;
    @Inject
    RuleBook rules;
    @Inject
    ContentSettings settings;

    @POST
    @Path("/check")
    @Consumes({"message/rfc822", MediaType.APPLICATION_OCTET_STREAM, MediaType.TEXT_PLAIN})
    @Operation(summary = "Run header_checks, mime_header_checks, nested_header_checks and body_checks on one message",
            description = "The body is the message as the edge received it in DATA (dot-unstuffed, CRLF). "
                    + "The answer says what the edge does: REJECT -> reply smtpReply, forward nothing; "
                    + "DISCARD -> reply 250, forward nothing; ACCEPT -> apply edits, prepend addHeaders, "
                    + "apply redirect/bcc to the recipients, forward.")
    @RequestBody(content = @Content(mediaType = "message/rfc822"))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Views.CheckView.class)))
    @APIResponse(responseCode = "400", description = "bad envelope or empty message",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "401", description = "missing or wrong token")
    @APIResponse(responseCode = "413", description = "message larger than message_size_limit",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response check(byte[] message,
                          @Parameter(description = "MAIL FROM address, without <>; empty for the null sender")
                          @QueryParam("sender") String sender,
                          @Parameter(description = "RCPT TO addresses, without <>; repeat the parameter")
                          @QueryParam("rcpt") List<String> recipients,
                          @Parameter(description = "client IP address (for the log)") @QueryParam("client") String client,
                          @Parameter(description = "HELO name (for the log)") @QueryParam("helo") String helo) {
        if (message == null || message.length == 0) {
            return bad("empty message: send the message as the request body");
        }
        if (settings.maxMessageBytes() > 0 && message.length > settings.maxMessageBytes()) {
            return Response.status(413).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(new ApiError("message of " + message.length + " bytes is larger than message_size_limit ("
                            + settings.maxMessageBytes() + ")")).build();
        }
        String problem = envelopeProblem("sender", sender);
        if (problem == null) {
            problem = envelopeProblem("helo", helo);
        }
        if (problem == null) {
            problem = envelopeProblem("client", client);
        }
        List<String> rcpts = recipients == null ? List.of() : recipients;
        if (rcpts.size() > MAX_RECIPIENTS) {
            problem = "more than " + MAX_RECIPIENTS + " recipients";
        }
        for (int i = 0; problem == null && i < rcpts.size(); i++) {
            problem = envelopeProblem("rcpt", rcpts.get(i));
        }
        if (problem != null) {
            return bad(problem);
        }
        long start = System.nanoTime();
        Verdict v = service.check(message, new ContentService.Envelope(sender, rcpts, client, helo));
        return Response.ok(Views.CheckView.of(v, (System.nanoTime() - start) / 1000)).build();
    }

    @POST
    @Path("/test")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Look up one line like postmap -q, in a check's tables or one loaded table")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Views.TestResult.class)))
    @APIResponse(responseCode = "400", description = "unknown table, missing or overlong line",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "401", description = "missing or wrong token")
    public Response test(Views.TestRequest request) {
        if (request == null || request.table() == null || request.table().isBlank()) {
            return bad("need {\"table\": \"header_checks\" or a loaded table name, \"line\": \"...\"}");
        }
        if (request.line() == null) {
            return bad("need \"line\": the header or body line to look up");
        }
        if (request.line().length() > MAX_TEST_LINE) {
            return bad("line longer than " + MAX_TEST_LINE + " characters");
        }
        String table = request.table().strip();
        Checks checks = Checks.ofParameter(table);
        Optional<Table.Match> match;
        boolean header;
        if (checks != null) {
            match = rules.rules().find(checks, request.line());
            header = checks.isHeader();
        } else {
            Table t = rules.table(table);
            if (t == null) {
                return bad("no such table: " + printable(table) + " (use a check parameter or a name from GET /api/v1/rules)");
            }
            match = t.find(request.line());
            header = rules.names().entrySet().stream().anyMatch(e -> e.getKey().isHeader() && e.getValue().contains(table));
        }
        if (match.isEmpty()) {
            return Response.ok(new Views.TestResult(table, false, null, null, null, null, null)).build();
        }
        Action a = Action.parse(match.get().value(), header);
        return Response.ok(new Views.TestResult(table, true, match.get().value(), match.get().origin(),
                a.kind().name(), a.text(), a.problem())).build();
    }

    @GET
    @Path("/rules")
    @Operation(summary = "The tables in force: per check parameter its tables; per table rules, load time, errors")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = RulesView.class)))
    @APIResponse(responseCode = "401", description = "missing or wrong token")
    public RulesView rules() {
        RuleBook.Status s = rules.status();
        java.util.Map<String, List<String>> checks = new java.util.LinkedHashMap<>();
        rules.names().forEach((c, list) -> checks.put(c.parameter(), list));
        return new RulesView(checks, s.tables(), s.lastCheck() == null ? null : s.lastCheck().toString(),
                s.lastChange() == null ? null : s.lastChange().toString(), s.reloads(), s.failures(),
                settings.limits().headerSizeLimit(), settings.limits().bodyChecksSizeLimit(),
                settings.limits().mimeDisabled());
    }

    /**
     * @param checks          each check parameter and the tables it searches, in order
     * @param tables          each table with its rule count, load time and last error
     * @param lastCheck       when the files were last checked for changes
     * @param lastReload      when the rules in force last changed
     * @param reloads         successful reloads since start
     * @param reloadFailures  failed reloads since start
     */
    public record RulesView(java.util.Map<String, List<String>> checks, List<RuleBook.TableStatus> tables,
                            String lastCheck, String lastReload, long reloads, long reloadFailures,
                            int headerSizeLimit, long bodyChecksSizeLimit, boolean disableMimeInputProcessing) {
    }

    /** Null when {@code value} is acceptable for an envelope field. */
    static String envelopeProblem(String name, String value) {
        if (value == null) {
            return null;
        }
        if (value.length() > MAX_ADDRESS) {
            return name + " longer than " + MAX_ADDRESS + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return name + " contains a control character: " + printable(value);
            }
        }
        return null;
    }

    private static Response bad(String why) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError(why)).build();
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder("\"");
        int end = Math.min(s.length(), 60);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.append(s.length() > end ? "...\"" : "\"").toString();
    }
}
