package dev.portcullis.ban.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.ban.BanService;
import dev.portcullis.ban.engine.Jail;
import dev.portcullis.events.Decision;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** The jails, their settings and their counts (fail2ban-client status). */
@Path("/api/v1/jails")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "jails")
@SecurityRequirement(name = "token")
public class JailsResource {

    @Inject
    BanService service;

    @GET
    @Operation(summary = "Every enabled jail with its settings and counts: addresses tracked, failures counted,"
            + " ignored, stale, evicted, bans issued, bans live now")
    public CompletionStage<List<Views.JailView>> list() {
        return service.call(() -> {
            Map<String, Long> live = liveBans();
            return service.core().jails().stream()
                    .map(j -> Views.JailView.of(j, live.getOrDefault(j.spec().origin(), 0L))).toList();
        });
    }

    @GET
    @Path("{name}")
    @Operation(summary = "One jail")
    public CompletionStage<Response> one(@PathParam("name") String name) {
        return service.call(() -> {
            Jail j = service.core().jail(name).orElse(null);
            if (j == null) {
                return ApiErrors.json(404, "unknown jail \"" + ApiErrors.cut(name) + "\"");
            }
            return Response.ok(Views.JailView.of(j, liveBans().getOrDefault(j.spec().origin(), 0L))).build();
        });
    }

    private Map<String, Long> liveBans() {
        Map<String, Long> m = new HashMap<>();
        for (Decision c : service.core().book().allClaims()) {
            if (c.origin().startsWith("jail:")) {
                m.merge(c.origin(), 1L, Long::sum);
            }
        }
        return m;
    }
}
