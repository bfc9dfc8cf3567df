package dev.portcullis.ban.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.ban.BanService;
import dev.portcullis.ban.config.BanConfig;
import dev.portcullis.ban.engine.BanCore;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/** Manual bans and allows, and every live claim. */
@Path("/api/v1/bans")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "bans")
@SecurityScheme(securitySchemeName = "token", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "portcullis.ban.api.read-token (GET) or portcullis.ban.api.admin-token (everything)")
@SecurityRequirement(name = "token")
public class BansResource {

    @Inject
    BanService service;
    @Inject
    BanConfig config;

    @GET
    @Operation(summary = "Every live claim (what each jail, operator and blocklist says), newest first",
            description = "origin: only claims whose origin starts with it (jail:, manual:, blocklist:postfix ...); "
                    + "cidr: only that network")
    public CompletionStage<Views.ClaimList> list(@QueryParam("origin") String origin, @QueryParam("cidr") String cidr,
                                                 @QueryParam("limit") Integer limit) {
        int max = Requests.limit(limit);
        String key = cidr == null || cidr.isBlank() ? null : Requests.cidr(cidr, "cidr").toString();
        String o = Requests.text(origin, "origin", null, 100);
        return service.call(() -> {
            List<Decision> all = key != null ? List.copyOf(service.core().book().claims(key).values())
                    : service.core().book().allClaims();
            List<Decision> picked = all.stream().filter(d -> o == null || d.origin().startsWith(o))
                    .sorted(Comparator.comparing(Decision::created).reversed()).toList();
            return new Views.ClaimList(picked.size(), picked.subList(0, Math.min(max, picked.size())));
        });
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Ban (or allow) an address or network",
            description = "{\"cidr\":\"192.0.2.7\",\"for\":\"1d\",\"reason\":\"...\",\"action\":\"ban|allow\","
                    + "\"ports\":[25],\"by\":\"alice\",\"jail\":\"postfix\"} (or \"exceptPorts\":[80] for every "
                    + "port but 80); a repeat extends the live ban")
    @APIResponse(responseCode = "201", description = "the claim made and the decision now published")
    @APIResponse(responseCode = "400", description = "malformed CIDR, negative duration, unknown jail, ...")
    public CompletionStage<Response> ban(Views.BanRequest request) {
        if (request == null) {
            throw new ApiErrors.BadRequest("a JSON body is required: {\"cidr\": \"192.0.2.7\", \"for\": \"1d\"}");
        }
        Cidr cidr = Requests.cidr(request.cidr(), "cidr");
        String a = request.action() == null ? "ban" : request.action().strip().toLowerCase(Locale.ROOT);
        Decision.Action action = switch (a) {
            case "ban" -> Decision.Action.BAN;
            case "allow" -> Decision.Action.ALLOW;
            default -> throw new ApiErrors.BadRequest("action must be ban or allow");
        };
        Duration d = Requests.duration(request.duration());
        String jail = Requests.text(request.jail(), "jail", null, 64);
        if (jail != null && action != Decision.Action.BAN) {
            throw new ApiErrors.BadRequest("jail applies to bans only");
        }
        if (jail != null && service.core() != null && service.core().jail(jail).isEmpty()) {
            throw new ApiErrors.BadRequest("unknown jail \"" + ApiErrors.cut(jail) + "\"");
        }
        // null: the default (the jail's bantime, else portcullis.ban.manual-bantime); negative: permanent
        Duration length = d == null && jail == null ? config.manualBantime() : d;
        List<Integer> ports = Requests.ports(request.ports());
        List<Integer> exceptPorts = Requests.ports(request.exceptPorts(), "exceptPorts");
        if (!ports.isEmpty() && !exceptPorts.isEmpty()) {
            throw new ApiErrors.BadRequest("ports (only these) and exceptPorts (every port but these) exclude each other");
        }
        if (jail != null && !exceptPorts.isEmpty()) {
            throw new ApiErrors.BadRequest("exceptPorts applies to bans without a jail (a jail ban has the jail's port)");
        }
        String reason = Requests.text(request.reason(), "reason",
                action == Decision.Action.BAN ? "banned by an operator" : "allowed by an operator", 200);
        String by = Requests.who(request.by());
        BanCore.ManualRequest r = new BanCore.ManualRequest(cidr, action, length, ports, reason, by, jail,
                exceptPorts);
        return service.call(() -> {
            Decision claim = service.core().manual(r);
            Decision now = service.core().book().decision(cidr.toString());
            return Response.status(201).entity(new Views.BanResult(claim, now)).build();
        });
    }

    @DELETE
    @Operation(summary = "Lift the manual and jail bans (and allows) of a network: ?cidr=192.0.2.0/24[&action=ban|allow]")
    @APIResponse(responseCode = "404", description = "nothing to lift")
    @APIResponse(responseCode = "409", description = "only a blocklist lists it: edit the list")
    public CompletionStage<Response> unbanQuery(@QueryParam("cidr") String cidr, @QueryParam("action") String action) {
        return unban(cidr, action);
    }

    @DELETE
    @Path("{cidr: .+}")
    @Operation(summary = "Lift the manual and jail bans (and allows) of a network: /api/v1/bans/192.0.2.0/24")
    @APIResponse(responseCode = "404", description = "nothing to lift")
    @APIResponse(responseCode = "409", description = "only a blocklist lists it: edit the list")
    public CompletionStage<Response> unbanPath(@PathParam("cidr") String cidr, @QueryParam("action") String action) {
        return unban(cidr, action);
    }

    private CompletionStage<Response> unban(String text, String actionText) {
        Cidr cidr = Requests.cidr(text, "cidr");
        Decision.Action action = null;
        if (actionText != null && !actionText.isBlank()) {
            action = switch (actionText.strip().toLowerCase(Locale.ROOT)) {
                case "ban" -> Decision.Action.BAN;
                case "allow" -> Decision.Action.ALLOW;
                default -> throw new ApiErrors.BadRequest("action must be ban or allow");
            };
        }
        Decision.Action which = action;
        return service.call(() -> {
            List<Decision> lifted = service.core().unban(cidr, which);
            if (lifted.isEmpty()) {
                return ApiErrors.json(404, "no manual or jail decision on " + cidr);
            }
            return Response.ok(new Views.Lifted(cidr.toString(), lifted,
                    service.core().book().decision(cidr.toString()))).build();
        });
    }
}
