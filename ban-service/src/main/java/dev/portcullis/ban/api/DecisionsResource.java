package dev.portcullis.ban.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.ban.BanService;
import dev.portcullis.ban.config.BanConfig;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** The published decisions (one per network, what enforcement points apply), and their live stream. */
@Path("/api/v1/decisions")
@Tag(name = "decisions")
@SecurityRequirement(name = "token")
public class DecisionsResource {

    @Inject
    BanService service;
    @Inject
    DecisionStreams streams;
    @Inject
    BanConfig config;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The live decisions, or with ?ip= (and &port=, default 25) the one deciding for that client")
    public CompletionStage<Object> list(@QueryParam("ip") String ip, @QueryParam("port") Integer port,
                                        @QueryParam("limit") Integer limit) {
        if (ip != null && !ip.isBlank()) {
            Cidr host = Requests.cidr(ip, "ip");
            if (host.prefix() != (host.isIpv6() ? 128 : 32)) {
                throw new ApiErrors.BadRequest("ip must be one address, not a network");
            }
            int p = port == null ? 25 : port;
            if (p < 1 || p > 65535) {
                throw new ApiErrors.BadRequest("port must be between 1 and 65535");
            }
            InetAddress a;
            try {
                a = InetAddress.getByAddress(host.networkBytes());
            } catch (UnknownHostException e) {
                throw new ApiErrors.BadRequest("malformed ip");
            }
            return service.call(() -> {
                Decision d = service.core().book().lookup(a, p, service.core().clock().instant()).orElse(null);
                return new Views.Lookup(host.toString().replaceAll("/\\d+$", ""), p,
                        d != null && d.action() == Decision.Action.BAN, d);
            });
        }
        int max = Requests.limit(limit);
        return service.call(() -> {
            List<Decision> all = service.core().book().decisions().stream()
                    .sorted(Comparator.comparing(Decision::created).reversed()).toList();
            return new Views.DecisionList(all.size(), all.subList(0, Math.min(max, all.size())));
        });
    }

    @GET
    @Path("stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Server-sent events: every live decision (event: decision), then event: synced, then every"
            + " change as it happens (decision, or lifted with the cidr)")
    public void stream(@Context SseEventSink sink, @Context Sse sse) {
        if (streams.open() >= config.maxStreams()) {
            sink.send(sse.newEventBuilder().name("error").data(String.class,
                    "{\"error\":\"too many open decision streams (portcullis.ban.max-streams)\"}").build())
                    .whenComplete((v, e) -> sink.close());
            return;
        }
        service.call(() -> {
            streams.open(sink, sse, service.core().book().decisions());
            return null;
        });
    }
}
