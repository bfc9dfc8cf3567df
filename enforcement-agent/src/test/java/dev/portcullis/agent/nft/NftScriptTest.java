package dev.portcullis.agent.nft;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scripts, line by line (NftSyncNetnsTest runs them in a kernel). */
class NftScriptTest {

    private final NftScript script = new NftScript("portcullis", "input", -10, "drop");

    @Test
    void fullScriptReplacesTheTableWithAllowRulesFirstAndMaskedNetworkLookups() {
        TreeMap<NftScript.SetId, List<NftScript.Element>> sets = new TreeMap<>();
        sets.put(new NftScript.SetId(false, 0, false, 32), List.of(new NftScript.Element("192.0.2.7/32", null)));
        sets.put(new NftScript.SetId(false, 1, false, 24),
                List.of(new NftScript.Element("198.51.100.0/24", Duration.ofMillis(1500))));
        sets.put(new NftScript.SetId(false, 0, true, 64), List.of(new NftScript.Element("2001:db8::/64", null)));
        sets.put(new NftScript.SetId(true, 0, false, 32), List.of(new NftScript.Element("192.0.2.9/32", null)));
        String text = script.full(Map.of(0, NftScript.Scope.EVERY_PORT, 1, new NftScript.Scope(List.of(587, 25), false)), sets);
        assertEquals("""
                table inet portcullis
                delete table inet portcullis
                table inet portcullis {
                  set allow4_32 { type ipv4_addr; flags timeout; }
                  set ban4_32 { type ipv4_addr; flags timeout; }
                  set ban6_64 { type ipv6_addr; flags timeout; }
                  set ban4_s1_24 { type ipv4_addr; flags timeout; }
                  chain input {
                    type filter hook input priority -10; policy accept;
                    ip saddr @allow4_32 return comment "portcullis allow /32 all ports"
                    ip saddr @ban4_32 drop comment "portcullis ban /32 all ports"
                    ip6 saddr & ffff:ffff:ffff:ffff:0:0:0:0 @ban6_64 drop comment "portcullis ban /64 all ports"
                    tcp dport { 25, 587 } ip saddr & 255.255.255.0 @ban4_s1_24 drop comment "portcullis ban /24 ports 25,587"
                  }
                }
                add element inet portcullis allow4_32 { 192.0.2.9 }
                add element inet portcullis ban4_32 { 192.0.2.7 }
                add element inet portcullis ban6_64 { 2001:db8:: }
                add element inet portcullis ban4_s1_24 { 198.51.100.0 timeout 1500ms }
                """, text);
    }

    @Test
    void everyPortButScopeDropsOtherTcpPortsAndEveryOtherProtocol() {
        NftScript.SetId web = new NftScript.SetId(false, 2, false, 24);
        NftScript.SetId webAllow = new NftScript.SetId(true, 2, true, 128);
        String text = script.incremental(Map.of(0, NftScript.Scope.EVERY_PORT, 2,
                        new NftScript.Scope(List.of(443, 80, 80), true)), List.of(web, webAllow),
                List.of(new NftScript.SetId(false, 0, false, 32), web, webAllow), Map.of(),
                Map.of(web, List.of(new NftScript.Element("203.0.113.0/24", null))));
        assertEquals("""
                add set inet portcullis ban4_s2_24 { type ipv4_addr; flags timeout; }
                add set inet portcullis allow6_s2_128 { type ipv6_addr; flags timeout; }
                flush chain inet portcullis input
                add rule inet portcullis input tcp dport != { 80, 443 } ip6 saddr @allow6_s2_128 return comment "portcullis allow /128 all ports but 80,443"
                add rule inet portcullis input meta l4proto != tcp ip6 saddr @allow6_s2_128 return comment "portcullis allow /128 all ports but 80,443"
                add rule inet portcullis input ip saddr @ban4_32 drop comment "portcullis ban /32 all ports"
                add rule inet portcullis input tcp dport != { 80, 443 } ip saddr & 255.255.255.0 @ban4_s2_24 drop comment "portcullis ban /24 all ports but 80,443"
                add rule inet portcullis input meta l4proto != tcp ip saddr & 255.255.255.0 @ban4_s2_24 drop comment "portcullis ban /24 all ports but 80,443"
                add element inet portcullis ban4_s2_24 { 203.0.113.0 }
                """, text);
        assertEquals(NftScript.Scope.EVERY_PORT, new NftScript.Scope(List.of(), true), "nothing excepted: every port");
    }

    @Test
    void incrementalScriptAddsBeforeDeletingSoADeleteNeverFailsAndChunksLargeBatches() {
        NftScript.SetId ban = new NftScript.SetId(false, 0, false, 32);
        List<NftScript.Element> many = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            many.add(new NftScript.Element("10.0." + (i / 256) + "." + (i % 256) + "/32", Duration.ofDays(99_999)));
        }
        String text = script.incremental(Map.of(0, NftScript.Scope.EVERY_PORT), List.of(), List.of(ban),
                Map.of(ban, List.of(new NftScript.Element("192.0.2.7/32", null))), Map.of(ban, many));
        List<String> lines = text.lines().toList();
        assertEquals("add element inet portcullis ban4_32 { 192.0.2.7 }", lines.get(0));
        assertEquals("delete element inet portcullis ban4_32 { 192.0.2.7 }", lines.get(1));
        assertEquals(5, lines.size(), "2,500 additions in chunks of 1,000: " + lines.size());
        assertTrue(lines.get(2).startsWith("add element inet portcullis ban4_32 { 10.0.0.0 timeout 315360000000ms, "),
                "timeouts are capped at 3650 days");
        assertTrue(!text.contains("flush chain"), "no new set: rules untouched");
    }

    @Test
    void aNewSetRewritesTheChainInTheSameTransaction() {
        NftScript.SetId ban = new NftScript.SetId(false, 0, false, 32);
        NftScript.SetId net = new NftScript.SetId(false, 0, false, 16);
        String text = script.incremental(Map.of(0, NftScript.Scope.EVERY_PORT), List.of(net), List.of(ban, net), Map.of(),
                Map.of(net, List.of(new NftScript.Element("10.1.0.0/16", null))));
        assertEquals("""
                add set inet portcullis ban4_16 { type ipv4_addr; flags timeout; }
                flush chain inet portcullis input
                add rule inet portcullis input ip saddr @ban4_32 drop comment "portcullis ban /32 all ports"
                add rule inet portcullis input ip saddr & 255.255.0.0 @ban4_16 drop comment "portcullis ban /16 all ports"
                add element inet portcullis ban4_16 { 10.1.0.0 }
                """, text);
    }

    @Test
    void settingsThatWouldInjectIntoTheScriptAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new NftScript("x; flush ruleset", "input", 0, "drop"));
        assertThrows(IllegalArgumentException.class, () -> new NftScript("portcullis", "input; flush ruleset", 0,
                "drop"));
        assertThrows(IllegalArgumentException.class, () -> new NftScript("portcullis", "input", 0, "accept"));
        assertThrows(IllegalArgumentException.class, () -> new NftScript("a".repeat(40), "input", 0, "drop"));
        assertThrows(IllegalArgumentException.class, () -> new NftScript("portcullis", "prerouting", 0, "reject"));
    }
}
