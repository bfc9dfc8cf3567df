package dev.portcullis.ban.config;

import dev.portcullis.events.Cidr;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.ban.Events;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JailsConfigTest {

    static JailsConfig.Result read(String text) {
        return JailsConfig.read(IniFile.parse("jails.conf", text), List.of());
    }

    static String error(String text) {
        return assertThrows(ConfigException.class, () -> read(text)).getMessage();
    }

    @Test
    void shippedConfigHasTheClassicPostfixJailAndRecidive() {
        JailsConfig.Result r = JailsConfig.load(Path.of("../config/jails.conf"));
        JailSpec postfix = r.jails().stream().filter(j -> j.name().equals("postfix")).findFirst().orElseThrow();
        assertEquals(3, postfix.maxRetry());
        assertEquals(Duration.ofDays(1), postfix.banTime());
        assertEquals(Duration.ofMinutes(10), postfix.findTime());
        assertEquals(List.of(25, 465, 587), postfix.ports());
        assertTrue(postfix.increment());
        assertEquals(Duration.ofDays(35), postfix.maxTime());
        Instant t = Instant.parse("2026-12-01T00:00:00Z");
        Events.relayDenied("192.0.2.1", t);
        assertTrue(matches(postfix, Events.reject("192.0.2.1", t, 554, "5.7.1", "reject_unauth_destination")));
        assertTrue(matches(postfix, Events.reject("192.0.2.1", t, 450, "4.7.1", "reject_unknown_client_hostname")));
        assertTrue(matches(postfix, Events.reject("192.0.2.1", t, 550, "5.1.1", "next-hop")));
        assertFalse(matches(postfix, Events.reject("192.0.2.1", t, 550, "5.7.1", "reject_unauth_destination")));
        assertFalse(matches(postfix, Events.reject("192.0.2.1", t, 452, "4.5.3", "smtpd_recipient_limit")));
        assertFalse(matches(postfix, Events.error("192.0.2.1", t, "BOGUS")));
        JailSpec recidive = r.jails().stream().filter(j -> j.name().equals("recidive")).findFirst().orElseThrow();
        assertTrue(recidive.countsBans());
        assertEquals(5, recidive.maxRetry());
        assertEquals(Duration.ofDays(7), recidive.banTime());
        assertEquals(Duration.ofDays(1), recidive.findTime());
        assertEquals(List.of(), recidive.ports());
        assertFalse(recidive.increment());
        assertTrue(r.disabled().contains("postfix-anvil"));
    }

    private static boolean matches(JailSpec j, SessionEvent e) {
        return j.rules().stream().anyMatch(r -> r.matches(e));
    }

    @Test
    void defaultsAreFail2bans() {
        JailSpec j = read("[j]\nenabled = true\nmatch = reject\n").jails().get(0);
        assertEquals(5, j.maxRetry());
        assertEquals(Duration.ofMinutes(10), j.findTime());
        assertEquals(Duration.ofMinutes(10), j.banTime());
        assertFalse(j.increment());
        assertEquals(JailSpec.Formula.POWER_OF_TWO, j.formula());
        assertNull(j.maxTime());
        assertEquals(List.of(), j.ports());
        assertTrue(read("[j]\nmatch = reject\n").jails().isEmpty(), "enabled defaults to false, as in fail2ban");
    }

    @Test
    void defaultSectionInterpolationContinuationAndComments() {
        JailSpec j = read("""
                [DEFAULT]
                mynets = 192.0.2.0/24 2001:db8::/32
                bantime = 1h
                # a comment
                ; another
                [j]
                enabled = yes
                ignoreip = %(mynets)s 198.51.100.7
                match = reject code=5xx   ; inline comment
                        error command=BOGUS
                maxretry: 2
                """).jails().get(0);
        assertEquals(Duration.ofHours(1), j.banTime());
        assertEquals(List.of(Cidr.parse("192.0.2.0/24"), Cidr.parse("2001:db8::/32"), Cidr.parse("198.51.100.7")),
                j.ignore());
        assertEquals(2, j.rules().size());
        assertEquals(2, j.maxRetry());
    }

    @Test
    void permanentBantimeAndIncrementKeys() {
        JailSpec j = read("""
                [j]
                enabled = true
                match = limit
                bantime = -1
                bantime.increment = true
                bantime.multipliers = 1 5 30
                bantime.factor = 2
                bantime.rndtime = 5m
                bantime.overalljails = true
                bantime.formula = ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)
                """).jails().get(0);
        assertTrue(j.permanent());
        assertEquals(List.of(1, 5, 30), j.multipliers());
        assertEquals(2.0, j.factor());
        assertEquals(Duration.ofMinutes(5), j.rndTime());
        assertTrue(j.overallJails());
        assertEquals(JailSpec.Formula.EXPONENTIAL, j.formula());
    }

    @Test
    void logAndActionKeysAreAcceptedAndReported() {
        JailsConfig.Result r = read("[j]\nenabled = true\nmatch = reject\nlogpath = /var/log/mail.log\n"
                + "backend = systemd\naction = %(action_mwl)s\naction_mwl = x\n");
        assertTrue(r.ignored().containsAll(List.of("logpath", "backend", "action")), r.ignored().toString());
    }

    @Test
    void errorsNameFileLineAndProblem() {
        assertEquals("jails.conf:3: unknown key \"maxretries\" in [j] (known: bantime, bantime.factor, "
                        + "bantime.formula, bantime.increment, bantime.maxtime, bantime.multipliers, bantime.overalljails, "
                        + "bantime.rndtime, enabled, findtime, ignoreip, ignoreself, match, maxretry, port)",
                error("[j]\nenabled = true\nmaxretries = 3\nmatch = reject\n"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nbantime = 10 parsecs\n")
                .startsWith("jails.conf:4: bantime: unknown time unit"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nfindtime = -5m\n")
                .startsWith("jails.conf:4: findtime = -5m: must be greater than zero"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nmaxretry = 0\n").startsWith("jails.conf:4: maxretry = 0"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\n   code=5xx\n").startsWith("jails.conf:4: match: unknown event kind"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject code=6xx\n").startsWith("jails.conf:3: match: bad SMTP code pattern"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject enhanced=5.x.1\n").contains("bad enhanced status code"));
        assertTrue(error("[j]\nenabled = true\nmatch = limit code=554\n").contains("does not apply to limit"));
        assertTrue(error("[j]\nenabled = true\n").startsWith("jails.conf:1: [j] has no \"match\""));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nfailregex = ^foo <HOST>\n")
                .startsWith("jails.conf:4: failregex: Portcullis matches session events"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nignoreip = mail.example.com\n")
                .contains("host names are not supported"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nignoreip = 192.0.2.7/24\n").contains("host bits set"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nbantime.formula = ban.Time * 3\n")
                .startsWith("jails.conf:4: bantime.formula: only the two formulas"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nport = smtp,imapx\n").contains("unknown port"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nenabled = false\n")
                .startsWith("jails.conf:4: \"enabled\" given twice in [j] (first on line 2)"));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\n[j]\n").startsWith("jails.conf:4: section [j] given twice"));
        assertTrue(error("maxretry = 3\n").startsWith("jails.conf:1: \"maxretry\" is outside any [section]"));
        assertTrue(error("[j]\nthis is not a setting\n").startsWith("jails.conf:2: expected \"key = value\""));
        assertTrue(error("[j]\nenabled = true\nmatch = reject\nmaxretry = %(nothing)s\n").startsWith("jails.conf:4: %(nothing)s"));
        assertTrue(error("[j]\na = %(b)s\nb = %(a)s\nenabled = true\nmatch=reject\n").contains("refers to itself"));
        assertTrue(error("[INCLUDES]\nbefore = paths.conf\n").contains("not supported"));
        assertTrue(error("[r]\nenabled = true\nmatch = ban jail=nosuch\n").contains("no enabled jail of that name"));
        assertTrue(error("[r]\nenabled = true\nmatch = ban\n        reject\n").contains("cannot be mixed"));
        assertTrue(error("[bad name!]\nenabled = true\nmatch = reject\n").contains("jail name"));
    }

    @Test
    void hostileInputIsCutShortInMessages() {
        String junk = "x".repeat(5000) + "\u0000\u001b[31m";
        String msg = error("[j]\n" + junk + "\n");
        assertTrue(msg.length() < 200, msg);
        assertFalse(msg.contains("\u001b"));
        String longLine = "[j]\nenabled = true\nmatch = reject\nbantime = " + "9".repeat(10_000) + "\n";
        assertTrue(error(longLine).startsWith("jails.conf:4: line longer than"));
    }
}
