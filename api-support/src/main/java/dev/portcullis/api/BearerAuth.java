package dev.portcullis.api;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer-token rule every Portcullis REST API follows, in one place: {@code /api} and
 * {@code /api/...} need {@code Authorization: Bearer <token>}; health, metrics and the OpenAPI
 * document stay open (they say nothing about any client). A token that is not configured matches
 * nothing, so a service with no token refuses everyone rather than serving everyone. Tokens are
 * compared in constant time and never logged or echoed.
 *
 * <p>Each service's request filter decides which configured tokens grant what and calls
 * {@link #check}; the refusals (401 with {@code WWW-Authenticate}, 403 for a read-only token on
 * a write) are built here so every API answers them alike.
 */
public final class BearerAuth {

    /** What a request's token grants. */
    public enum Grant { NONE, READ, ADMIN }

    private final byte[] admin;
    private final byte[] read;

    private BearerAuth(String admin, String read) {
        this.admin = bytes(admin);
        this.read = bytes(read);
    }

    /** One token for everything the API offers (reputation, content filter: read-only APIs). */
    public static BearerAuth single(Optional<String> token) {
        return new BearerAuth(configured(token), null);
    }

    /**
     * An admin token (every method) and a read-only token (GET, HEAD, OPTIONS). The same value for
     * both is refused: a read-only token that is the admin token would be neither.
     */
    public static BearerAuth adminAndRead(Optional<String> adminToken, Optional<String> readToken) {
        String a = configured(adminToken);
        String r = configured(readToken);
        if (a != null && a.equals(r)) {
            throw new IllegalArgumentException("the read-only token and the admin token are the same:"
                    + " a read-only token must not be the admin token");
        }
        return new BearerAuth(a, r);
    }

    /** A configured token, stripped; blank or absent is "not configured" (null). */
    public static String configured(Optional<String> token) {
        return token.map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }

    public boolean hasAdminToken() {
        return admin != null;
    }

    public boolean hasReadToken() {
        return read != null;
    }

    /** Whether {@code path} (as JAX-RS gives it, with a leading slash) is behind the token. */
    public static boolean guards(String path) {
        return path.equals("/api") || path.startsWith("/api/");
    }

    /** What the {@code Authorization} header value grants ({@code null}: no header). */
    public Grant grant(String authorization) {
        byte[] given = presented(authorization);
        if (given == null) {
            return Grant.NONE;
        }
        // Both comparisons run whatever the first gives, so timing tells nothing about which matched.
        boolean isAdmin = matches(given, admin);
        boolean isRead = matches(given, read);
        return isAdmin ? Grant.ADMIN : isRead ? Grant.READ : Grant.NONE;
    }

    /**
     * The refusal for a request, or {@code null} to let it through: paths outside {@code /api}
     * always pass; a read grant passes safe methods only; an admin grant passes everything.
     */
    public Response check(String path, String method, String authorization) {
        if (!guards(path)) {
            return null;
        }
        if (admin == null && read == null) {
            return unauthorized("the API token is not configured on this service");
        }
        if (presented(authorization) == null) {
            return unauthorized("missing bearer token (Authorization: Bearer <token>)");
        }
        Grant g = grant(authorization);
        if (g == Grant.NONE) {
            return unauthorized("invalid token");
        }
        if (g == Grant.READ && !safe(method)) {
            return error(Response.Status.FORBIDDEN, "this token is read-only: " + method + " needs the admin token");
        }
        return null;
    }

    /** A JSON {@link ApiError} answer with {@code status}. */
    public static Response error(Response.Status status, String why) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(why)).build();
    }

    private static Response unauthorized(String why) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError(why))
                .build();
    }

    private static boolean safe(String method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method);
    }

    /** The token bytes of a {@code Bearer} header (scheme case-insensitive, RFC 6750), else null. */
    private static byte[] presented(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = authorization.substring(7).strip();
        return t.isEmpty() ? null : t.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean matches(byte[] given, byte[] expected) {
        return expected != null && MessageDigest.isEqual(given, expected);
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
