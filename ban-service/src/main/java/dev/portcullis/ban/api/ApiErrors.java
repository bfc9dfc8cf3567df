package dev.portcullis.ban.api;

import dev.portcullis.api.ApiError;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure leaves as JSON {@code {"error": "..."}} with a 4xx or 5xx status, never a stack
 * trace: bad input (400), an unban of something only a blocklist holds (409), anything else (500,
 * logged here with its stack trace).
 */
public class ApiErrors {

    private static final Logger LOG = Logger.getLogger(ApiErrors.class);

    /** Bad input; the message is safe to show (no client text beyond a short printable prefix). */
    public static final class BadRequest extends RuntimeException {
        public BadRequest(String message) {
            super(message);
        }
    }

    @ServerExceptionMapper
    public Response badRequest(BadRequest e) {
        return json(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response listed(dev.portcullis.ban.engine.BanCore.ListedException e) {
        return json(409, e.getMessage());
    }

    @ServerExceptionMapper
    public Response notReady(dev.portcullis.ban.BanService.NotReadyException e) {
        return json(503, e.getMessage());
    }

    @ServerExceptionMapper
    public Response unknownJail(IllegalArgumentException e) {
        return json(400, e.getMessage());
    }

    @ServerExceptionMapper
    public Response json(com.fasterxml.jackson.core.JsonProcessingException e) {
        return json(400, "malformed JSON: " + cut(e.getOriginalMessage()));
    }

    /** Quarkus maps this one itself, to an empty 400; say what was wrong instead. */
    @ServerExceptionMapper
    public Response mismatched(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        return json(400, "malformed JSON: " + cut(e.getOriginalMessage()));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String why = switch (status) {
            case 400 -> "malformed request" + (e.getMessage() == null ? "" : ": " + cut(e.getMessage()));
            case 404 -> "no such resource";
            case 405 -> "method not allowed";
            case 406 -> "not acceptable";
            case 415 -> "send application/json";
            default -> cut(e.getMessage());
        };
        return json(status, why);
    }

    @ServerExceptionMapper
    public Response other(Exception e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
            return json(400, "malformed JSON: " + cut(j.getOriginalMessage()));
        }
        LOG.errorf(e, "request failed");
        return json(500, "internal error (see the service log)");
    }

    static Response json(int status, String why) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(why)).build();
    }

    static String cut(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 160; i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                break;
            }
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
