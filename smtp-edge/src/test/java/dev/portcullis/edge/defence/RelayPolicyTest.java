package dev.portcullis.edge.defence;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayPolicyTest {

    private static final InetAddress OUTSIDER = addr("198.51.100.9");
    private static final InetAddress INSIDER = addr("192.0.2.10");

    private final RelayPolicy postfixDefault = policy(List.of("permit_mynetworks", "permit_sasl_authenticated",
            "defer_unauth_destination"));

    private static RelayPolicy policy(List<String> restrictions) {
        return new RelayPolicy(restrictions, a -> a.getHostAddress().startsWith("192.0.2."),
                Set.of("ours.example")::contains, Set.of("relay.example")::contains);
    }

    @Test
    void localAndRelayDomainsAreAcceptedFromAnywhere() {
        assertNull(postfixDefault.check(OUTSIDER, "user@ours.example"));
        assertNull(postfixDefault.check(OUTSIDER, "user@RELAY.example"));
        assertNull(postfixDefault.check(OUTSIDER, "postmaster"));
    }

    @Test
    void foreignDomainIsDeferredByPostfixDefaultAndRejectedByRejectUnauth() {
        var deferred = postfixDefault.check(OUTSIDER, "victim@elsewhere.example");
        assertEquals(454, deferred.reply().code());
        assertEquals("4.7.1", deferred.reply().enhanced());
        assertEquals("<victim@elsewhere.example>: Relay access denied", deferred.reply().lines().get(0));
        var rejected = policy(List.of("permit_mynetworks", "reject_unauth_destination"))
                .check(OUTSIDER, "victim@elsewhere.example");
        assertEquals(554, rejected.reply().code());
        assertEquals("reject_unauth_destination", rejected.restriction());
    }

    @Test
    void mynetworksMayRelay() {
        assertNull(postfixDefault.check(INSIDER, "victim@elsewhere.example"));
    }

    @Test
    void classicOpenRelayTricksAreRefused() {
        String[] tricks = {
                "victim%elsewhere.example@ours.example",
                "@ours.example:victim@elsewhere.example",
                "@ours.example,@relay.example:victim@elsewhere.example",
                "\"victim@elsewhere.example\"@ours.example",
                "elsewhere.example!victim@ours.example",
                "victim@elsewhere.example@ours.example",
                "\"victim%elsewhere.example\"@ours.example",
                "victim@[203.0.113.5]",
                "victim@ours.example.elsewhere.example",
        };
        for (String t : tricks) {
            assertFalse(postfixDefault.authorizedDestination(t), t);
            assertEquals(454, postfixDefault.check(OUTSIDER, t).reply().code(), t);
        }
    }

    @Test
    void tricksThatStayLocalAreFine() {
        assertTrue(postfixDefault.authorizedDestination("user%relay.example@ours.example"));
        assertTrue(postfixDefault.authorizedDestination("ours.example!user@ours.example"));
        assertTrue(postfixDefault.authorizedDestination("user@ours.example."));
    }

    @Test
    void unsupportedRestrictionFailsAtConstruction() {
        var e = assertThrows(IllegalArgumentException.class, () -> policy(List.of("check_client_access")));
        assertTrue(e.getMessage().contains("check_client_access"));
    }

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
