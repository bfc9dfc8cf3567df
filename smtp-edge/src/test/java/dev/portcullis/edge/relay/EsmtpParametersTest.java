package dev.portcullis.edge.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;

import org.junit.jupiter.api.Test;

class EsmtpParametersTest {

    /* Next hop's EHLO keywords | client's argument | what the next hop gets (see NextHopTest on tables). */
    private static final String[] TABLE = {
            "SIZE,8BITMIME,DSN | FROM:<a@b> SIZE=123 BODY=8BITMIME RET=HDRS | FROM:<a@b> SIZE=123 BODY=8BITMIME RET=HDRS",
            "8BITMIME          | FROM:<a@b> SIZE=123 BODY=8BITMIME         | FROM:<a@b> BODY=8BITMIME",
            "SIZE              | FROM:<a@b>  SIZE=123   BODY=8BITMIME       | FROM:<a@b> SIZE=123",
            "SIZE              | FROM: <a@b> size=1                         | FROM:<a@b> size=1",
            "8BITMIME          | FROM:<a@b> BODY=BINARYMIME SMTPUTF8        | FROM:<a@b>",
            "SMTPUTF8          | FROM:<\"x >y\"@b> SMTPUTF8                 | FROM:<\"x >y\"@b> SMTPUTF8",
            "DSN               | TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d | TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d",
            "PIPELINING        | TO:<c@d> NOTIFY=NEVER XFOO=1               | TO:<c@d>",
            "XFOO              | TO:<c@d> XFOO=1                            | TO:<c@d> XFOO=1",
            "SIZE              | FROM:<>                                    | FROM:<>",
    };

    @Test
    void dropsParametersTheNextHopDidNotAnnounce() {
        for (String row : TABLE) {
            String[] col = row.split("\\|");
            String args = col[1].strip();
            assertEquals(col[2].strip(), EsmtpParameters.filter(args, Set.of(col[0].strip().split(","))), row);
        }
    }

    @Test
    void refusesLineBreaksAndUnclosedPaths() {
        assertThrows(IllegalArgumentException.class,
                () -> EsmtpParameters.filter("FROM:<a@b>\r\nRCPT TO:<victim@x>", Set.of()));
        assertThrows(IllegalArgumentException.class, () -> EsmtpParameters.filter("FROM:<a@b", Set.of()));
        assertThrows(IllegalArgumentException.class, () -> EsmtpParameters.filter("<a@b>", Set.of()));
    }
}
