package dev.portcullis.edge.restrict;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay judge: which recipients are ours, after Postfix's address rewriting. */
class DestinationsTest {

    private final Destinations ours = new Destinations(Set.of("ours.example", "mx.ours.example")::contains,
            Set.of("relay.example")::contains, "mx.ours.example");

    @Test
    void localAndRelayDomainsAndDomainlessAddresses() {
        assertTrue(ours.authorizedDestination("user@ours.example"));
        assertTrue(ours.authorizedDestination("user@RELAY.example"));
        assertTrue(ours.authorizedDestination("postmaster"), "myorigin is ours");
        assertFalse(new Destinations(Set.of("ours.example")::contains, d -> false, "elsewhere.example")
                .authorizedDestination("postmaster"), "a domain-less address is as foreign as myorigin");
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
                "@ours.example",
        };
        for (String t : tricks) {
            assertFalse(ours.authorizedDestination(t), t);
        }
    }

    @Test
    void tricksThatStayLocalAreFine() {
        assertTrue(ours.authorizedDestination("user%relay.example@ours.example"));
        assertTrue(ours.authorizedDestination("ours.example!user@ours.example"));
        assertTrue(ours.authorizedDestination("user@ours.example."));
    }
}
