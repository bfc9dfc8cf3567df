package dev.portcullis.edge.smtp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommandCountsTest {
    @Test
    void rendersLikePostfixDisconnectLine() {
        CommandCounts c = new CommandCounts();
        c.count("EHLO", true);
        c.count("MAIL", true);
        c.count("RCPT", false);
        c.count("QUIT", true);
        assertEquals(" ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", c.render());
        c.count("BOGUS", false);
        assertEquals(" ehlo=1 mail=1 rcpt=0/1 quit=1 unknown=0/1 commands=3/5", c.render());
    }
}
