package dev.portcullis.content.api;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Read access to {@code /api/...} needs {@code Authorization: Bearer <token>} with the
 * configured secret ({@code portcullis.api.token}, {@code PORTCULLIS_API_TOKEN}). Health,
 * metrics and the OpenAPI document stay open (they say nothing about any client). With no
 * token configured the API refuses everyone rather than serving everyone.
 */
@ApplicationScoped
public class ApiTokenFilter {

    private static final Logger LOG = Logger.getLogger(ApiTokenFilter.class);

    @ConfigProperty(name = "portcullis.api.token")
    Optional<String> token;

    void onStart(@Observes StartupEvent ev) {
        if (token.filter(t -> !t.isBlank()).isEmpty()) {
            LOG.warn("portcullis.api.token (PORTCULLIS_API_TOKEN) is not set: every /api request will get 401");
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/") && !path.equals("/api")) {
            return null;
        }
        String expected = token.filter(t -> !t.isBlank()).orElse(null);
        if (expected == null) {
            return refuse("the API token is not configured on this service (PORTCULLIS_API_TOKEN)");
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return refuse("missing bearer token (Authorization: Bearer <token>)");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8))) {
            return refuse("invalid token");
        }
        return null;
    }

    private static Response refuse(String why) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError(why))
                .build();
    }
}
