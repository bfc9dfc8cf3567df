package dev.portcullis.reputation.api;

import dev.portcullis.api.ApiError;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.infinispan.client.hotrod.exceptions.HotRodClientException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.portcullis.reputation.store.StoreUnavailableException;

import java.util.concurrent.CompletionException;

/** The grid could not answer: 503 with a reason and a retry hint, never a stack trace. */
public class GridUnavailableMapper {

    private static final Logger LOG = Logger.getLogger(GridUnavailableMapper.class);

    @ServerExceptionMapper({HotRodClientException.class, StoreUnavailableException.class, CompletionException.class,
            IllegalStateException.class})
    public Response map(Exception e) {
        LOG.debugf("query failed: %s", e.toString());
        return unavailable();
    }

    static Response unavailable() {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                .header("Retry-After", "5")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ApiError("the counts store (Infinispan) is not answering; try again shortly"))
                .build();
    }
}
