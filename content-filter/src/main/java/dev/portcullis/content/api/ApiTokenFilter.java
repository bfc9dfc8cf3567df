package dev.portcullis.content.api;

import dev.portcullis.api.BearerAuth;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Access to {@code /api/...} needs {@code Authorization: Bearer <token>} with the configured
 * secret ({@code portcullis.api.token}, {@code PORTCULLIS_API_TOKEN}); the rule itself (open
 * health/metrics/OpenAPI, refuse everyone without a token, constant-time compare) is
 * {@link BearerAuth}'s, shared by every Portcullis API.
 */
@ApplicationScoped
public class ApiTokenFilter {

    private static final Logger LOG = Logger.getLogger(ApiTokenFilter.class);

    private final BearerAuth auth;

    ApiTokenFilter(@ConfigProperty(name = "portcullis.api.token") Optional<String> token) {
        this.auth = BearerAuth.single(token);
    }

    void onStart(@Observes StartupEvent ev) {
        if (!auth.hasAdminToken()) {
            LOG.warn("portcullis.api.token (PORTCULLIS_API_TOKEN) is not set: every /api request will get 401");
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        return auth.check(request.getUriInfo().getPath(), request.getMethod(),
                request.getHeaderString(HttpHeaders.AUTHORIZATION));
    }
}
