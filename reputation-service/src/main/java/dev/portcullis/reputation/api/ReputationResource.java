package dev.portcullis.reputation.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.reputation.Subjects;
import dev.portcullis.reputation.config.ReputationSettings;
import dev.portcullis.reputation.counts.Offenders;
import inet.ipaddr.IPAddress;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code /api/v1/reputation}: what the cluster knows of a client or a network. Answers from
 * the grid; every malformed input gets 400 with the reason.
 */
@Path("/api/v1/reputation")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "reputation", description = "Cluster-wide counts, scores and verdicts")
@SecurityScheme(securitySchemeName = "token", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "PORTCULLIS_API_TOKEN")
@SecurityRequirement(name = "token")
public class ReputationResource {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ReputationResource.class);

    @Inject
    ReputationQueries queries;
    @Inject
    ReputationSettings settings;

    @GET
    @Path("/{ip}")
    @Operation(summary = "A client IP: counts per window, score, open sessions, carried errors, active verdicts "
            + "and its network's counts")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Views.ClientView.class)))
    @APIResponse(responseCode = "400", description = "not an IP address",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "401", description = "missing or wrong token")
    public CompletionStage<Response> client(@Parameter(description = "IPv4 or IPv6 address") @PathParam("ip") String ip) {
        IPAddress address = Subjects.ip(ip);
        if (address == null) {
            return bad("not an IP address: " + printable(ip));
        }
        return answer(queries.client(address));
    }

    @GET
    @Path("/network/{cidr: .+}")
    @Operation(summary = "A network in CIDR form: its counts summed over its addresses and every edge")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Views.NetworkView.class)))
    @APIResponse(responseCode = "400", description = "not a CIDR, or a prefix the counts are not kept at",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public CompletionStage<Response> network(@Parameter(description = "e.g. 192.0.2.0/24 or 2001:db8::/64")
                                             @PathParam("cidr") String cidr) {
        IPAddress block = Subjects.cidr(cidr);
        if (block == null) {
            return bad("not a network in CIDR form (address/prefix): " + printable(cidr));
        }
        int kept = block.isIPv4() ? settings.ipv4Prefix() : settings.ipv6Prefix();
        int prefix = block.getPrefixLength();
        if (prefix > kept) {
            return bad("counts are kept per /" + kept + " for " + (block.isIPv4() ? "IPv4" : "IPv6")
                    + "; ask for the /" + kept + " or a shorter prefix (query a single address for a host)");
        }
        if (kept - prefix > ReputationQueries.MAX_SUBNET_BITS) {
            return bad("/" + prefix + " spans more than " + (1 << ReputationQueries.MAX_SUBNET_BITS) + " /" + kept
                    + " networks; ask for /" + (kept - ReputationQueries.MAX_SUBNET_BITS) + " or longer");
        }
        return answer(queries.network(block));
    }

    @GET
    @Operation(summary = "The worst offenders by errors, connections, rejects or score (lowest first) in a window")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Views.TopView.class)))
    @APIResponse(responseCode = "400", description = "bad top, by or window",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public CompletionStage<Response> top(
            @Parameter(description = "how many, 1-" + Offenders.KEEP) @QueryParam("top") String top,
            @Parameter(description = "errors, connections, rejects or score") @QueryParam("by") String by,
            @Parameter(description = "a configured window, e.g. 60s or 600s; the longest by default")
            @QueryParam("window") String window) {
        int n;
        try {
            n = top == null ? 10 : Integer.parseInt(top.trim());
        } catch (NumberFormatException e) {
            return bad("top must be a number from 1 to " + Offenders.KEEP + ": " + printable(top));
        }
        if (n < 1 || n > Offenders.KEEP) {
            return bad("top must be from 1 to " + Offenders.KEEP + ": " + n);
        }
        Offenders.By order;
        try {
            order = Offenders.By.valueOf((by == null ? "errors" : by.trim()).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return bad("by must be errors, connections, rejects or score: " + printable(by));
        }
        int w = window == null ? settings.windows().size() - 1 : windowIndex(window.trim());
        if (w < 0) {
            return bad("unknown window " + printable(window) + "; configured: "
                    + String.join(", ", settings.windows().stream().map(s -> s.name()).toList()));
        }
        return answer(queries.top(n, order, w));
    }

    /** A window by its name ({@code 600s}) or any equal length ({@code 10m}). */
    private int windowIndex(String name) {
        int i = settings.windowIndex(name);
        if (i >= 0) {
            return i;
        }
        try {
            long seconds = dev.portcullis.reputation.config.ReputationSettingsLoader.parseTime("window", name).toSeconds();
            return settings.windowIndex(seconds + "s");
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** 200 with the view, or 503 with a reason when the grid did not answer (never a stack trace). */
    private static CompletionStage<Response> answer(CompletionStage<?> query) {
        return query.handle((view, failure) -> {
            if (failure == null) {
                return Response.ok(view).build();
            }
            LOG.debugf("query failed: %s", failure.toString());
            return GridUnavailableMapper.unavailable();
        });
    }

    private static CompletionStage<Response> bad(String why) {
        return CompletableFuture.completedFuture(Response.status(Response.Status.BAD_REQUEST)
                .type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(why)).build());
    }

    /** Client input echoed in an error: printable and short. */
    static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && out.length() < 64; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 64 ? out + "..." : out.toString();
    }
}
