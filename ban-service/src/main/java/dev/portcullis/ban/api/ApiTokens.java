package dev.portcullis.ban.api;

import dev.portcullis.api.BearerAuth;
import dev.portcullis.ban.config.BanConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * {@code /api/...} needs {@code Authorization: Bearer <token>}: the read-only token
 * ({@code portcullis.ban.api.read-token}) for GET, the admin token
 * ({@code portcullis.ban.api.admin-token}) for everything (POST and DELETE too). No or a wrong
 * token: 401 with {@code WWW-Authenticate}; the read token on a write: 403. The rule (open
 * health/metrics/OpenAPI, a token not configured matches nothing, constant-time compare) is
 * {@link BearerAuth}'s, shared by every Portcullis API.
 */
@ApplicationScoped
public class ApiTokens {

    private static final Logger LOG = Logger.getLogger(ApiTokens.class);

    private final BearerAuth auth;

    ApiTokens(BanConfig config) {
        try {
            this.auth = BearerAuth.adminAndRead(config.api().adminToken(), config.api().readToken());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("portcullis.ban.api.read-token and portcullis.ban.api.admin-token: "
                    + e.getMessage(), e);
        }
    }

    void onStart(@Observes StartupEvent ev) {
        if (!auth.hasAdminToken()) {
            LOG.warn("portcullis.ban.api.admin-token (PORTCULLIS_BAN_API_ADMIN_TOKEN) is not set: no one can ban or"
                    + " unban over the API");
        }
        if (!auth.hasReadToken()) {
            LOG.info("portcullis.ban.api.read-token is not set: reading needs the admin token");
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        return auth.check(request.getUriInfo().getPath(), request.getMethod(),
                request.getHeaderString(HttpHeaders.AUTHORIZATION));
    }
}
