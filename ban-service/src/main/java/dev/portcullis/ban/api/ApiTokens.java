package dev.portcullis.ban.api;

import dev.portcullis.ban.config.BanConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * {@code /api/...} needs {@code Authorization: Bearer <token>}: the read-only token
 * ({@code portcullis.ban.api.read-token}) for GET, the admin token
 * ({@code portcullis.ban.api.admin-token}) for everything (POST and DELETE too). No or a wrong
 * token: 401 with {@code WWW-Authenticate}; the read token on a write: 403. A token that is not
 * configured matches nothing, so with no tokens the API refuses everyone. Health, metrics and the
 * OpenAPI document stay open: they say nothing about any client. Tokens are compared in constant
 * time and never logged.
 */
@ApplicationScoped
public class ApiTokens {

    private static final Logger LOG = Logger.getLogger(ApiTokens.class);

    @Inject
    BanConfig config;

    void onStart(@Observes StartupEvent ev) {
        if (token(config.api().adminToken()) == null) {
            LOG.warn("portcullis.ban.api.admin-token (PORTCULLIS_BAN_API_ADMIN_TOKEN) is not set: no one can ban or"
                    + " unban over the API");
        }
        if (token(config.api().readToken()) == null) {
            LOG.info("portcullis.ban.api.read-token is not set: reading needs the admin token");
        }
        String r = token(config.api().readToken());
        if (r != null && r.equals(token(config.api().adminToken()))) {
            throw new IllegalStateException("portcullis.ban.api.read-token and portcullis.ban.api.admin-token are the"
                    + " same: a read-only token must not be the admin token");
        }
    }

    private static String token(Optional<String> t) {
        return t.map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/") && !path.equals("/api")) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return unauthorized("missing bearer token (Authorization: Bearer <token>)");
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean admin = matches(given, token(config.api().adminToken()));
        boolean read = matches(given, token(config.api().readToken()));
        if (!admin && !read) {
            return unauthorized("invalid token");
        }
        String method = request.getMethod();
        boolean write = !(HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)
                || HttpMethod.OPTIONS.equals(method));
        if (write && !admin) {
            return Response.status(Response.Status.FORBIDDEN).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(new ApiError("this token is read-only: " + method + " needs the admin token")).build();
        }
        return null;
    }

    private static boolean matches(byte[] given, String expected) {
        return expected != null && MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8));
    }

    private static Response unauthorized(String why) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError(why))
                .build();
    }
}
