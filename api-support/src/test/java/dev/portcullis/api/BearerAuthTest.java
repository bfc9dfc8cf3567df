package dev.portcullis.api;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BearerAuthTest {

    private final BearerAuth single = BearerAuth.single(Optional.of(" s3cret "));
    private final BearerAuth twoTokens = BearerAuth.adminAndRead(Optional.of("admin-t"), Optional.of("read-t"));

    @Test
    void onlyTheApiIsGuarded() {
        assertNull(single.check("/q/health", "GET", null));
        assertNull(single.check("/q/openapi", "GET", null));
        assertNull(single.check("/apiary", "GET", null), "a path that merely starts with 'api' is not the API");
        assertEquals(401, single.check("/api", "GET", null).getStatus());
        assertEquals(401, single.check("/api/v1/reputation/192.0.2.1", "GET", null).getStatus());
    }

    @Test
    void theConfiguredTokenPassesStrippedAndCaseInsensitiveScheme() {
        assertNull(single.check("/api/v1/x", "GET", "Bearer s3cret"));
        assertNull(single.check("/api/v1/x", "GET", "bearer   s3cret  "));
        assertNull(single.check("/api/v1/x", "DELETE", "Bearer s3cret"), "a single token is the admin token");
    }

    @Test
    void refusalsSayWhyAndAskForABearerToken() {
        Response missing = single.check("/api/v1/x", "GET", null);
        assertEquals("missing bearer token (Authorization: Bearer <token>)", ((ApiError) missing.getEntity()).error());
        assertEquals("Bearer realm=\"portcullis\"", missing.getHeaderString(HttpHeaders.WWW_AUTHENTICATE));
        Response basic = single.check("/api/v1/x", "GET", "Basic czNjcmV0");
        assertEquals("missing bearer token (Authorization: Bearer <token>)", ((ApiError) basic.getEntity()).error());
        assertEquals(401, single.check("/api/v1/x", "GET", "Bearer ").getStatus());
        Response wrong = single.check("/api/v1/x", "GET", "Bearer s3cre");
        assertEquals("invalid token", ((ApiError) wrong.getEntity()).error());
        assertEquals(401, wrong.getStatus());
    }

    @Test
    void noConfiguredTokenRefusesEveryone() {
        BearerAuth none = BearerAuth.single(Optional.of("   "));
        Response r = none.check("/api/v1/x", "GET", "Bearer    ");
        assertEquals(401, r.getStatus());
        assertEquals("the API token is not configured on this service", ((ApiError) r.getEntity()).error());
        assertEquals(401, BearerAuth.single(Optional.empty()).check("/api/v1/x", "GET", "Bearer x").getStatus());
    }

    @Test
    void aReadTokenReadsButDoesNotWrite() {
        assertNull(twoTokens.check("/api/v1/bans", "GET", "Bearer read-t"));
        assertNull(twoTokens.check("/api/v1/bans", "HEAD", "Bearer read-t"));
        Response post = twoTokens.check("/api/v1/bans", "POST", "Bearer read-t");
        assertEquals(403, post.getStatus());
        assertEquals("this token is read-only: POST needs the admin token", ((ApiError) post.getEntity()).error());
        assertNull(twoTokens.check("/api/v1/bans", "POST", "Bearer admin-t"));
        assertNull(twoTokens.check("/api/v1/bans", "GET", "Bearer admin-t"));
        assertEquals(BearerAuth.Grant.READ, twoTokens.grant("Bearer read-t"));
        assertEquals(BearerAuth.Grant.ADMIN, twoTokens.grant("Bearer admin-t"));
        assertEquals(BearerAuth.Grant.NONE, twoTokens.grant("Bearer other"));
    }

    @Test
    void onlyAReadTokenConfiguredStillReads() {
        BearerAuth readOnly = BearerAuth.adminAndRead(Optional.empty(), Optional.of("read-t"));
        assertNull(readOnly.check("/api/v1/bans", "GET", "Bearer read-t"));
        assertEquals(403, readOnly.check("/api/v1/bans", "DELETE", "Bearer read-t").getStatus());
    }

    @Test
    void theSameTokenForReadAndAdminIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BearerAuth.adminAndRead(Optional.of("same"), Optional.of(" same")));
        assertEquals("the read-only token and the admin token are the same: a read-only token must not be the"
                + " admin token", e.getMessage());
    }
}
