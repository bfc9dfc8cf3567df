package dev.portcullis.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.testkit.QuarkusApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;

/** The reputation service's REST API, as an operator's script would call it. */
final class ReputationApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final QuarkusApp service;

    ReputationApi(QuarkusApp service) {
        this.service = service;
    }

    /** {@code GET /api/v1/reputation/{ip}}: everything known of one client. */
    JsonNode client(String ip) {
        HttpResponse<String> r = service.get("/api/v1/reputation/" + ip, "Authorization", "Bearer " + Fleet.TOKEN,
                "Accept", "application/json");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /api/v1/reputation/" + ip + ": " + r.statusCode() + " " + r.body());
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + r.body(), e);
        }
    }

    /** One counter of one window, e.g. {@code count(view, "600s", "connections")}; 0 when absent. */
    static long count(JsonNode client, String window, String counter) {
        return client.path("windows").path(window).path("counts").path(counter).asLong(0);
    }

    /** The verdict entry on {@code limit} in the view (whatever its expiry), or null. */
    static JsonNode verdict(JsonNode client, String limit) {
        for (JsonNode v : client.path("verdicts")) {
            if (limit.equals(v.path("limit").asText())) {
                return v;
            }
        }
        return null;
    }

    /** When the view's entry on {@code limit} ends, or null. */
    static Instant verdictUntil(JsonNode client, String limit) {
        JsonNode v = verdict(client, limit);
        return v == null ? null : Instant.parse(v.path("until").asText());
    }
}
