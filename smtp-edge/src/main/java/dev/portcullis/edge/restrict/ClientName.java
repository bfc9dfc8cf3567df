package dev.portcullis.edge.restrict;

/**
 * The client's names as Postfix's smtpd_peer.c computes them: the reverse name is the PTR
 * answer (if it is a valid host name); the name is that reverse name only when it resolves
 * forward to the client's address ("forward-confirmed"), else "unknown". Each has a status:
 * {@link #OK}, {@link #TEMP} (a lookup failed temporarily), {@link #PERM} (no PTR, or an
 * invalid one) or {@link #FORGED} (the name does not resolve back to the address).
 */
public record ClientName(String name, String reverseName, int nameStatus, int reverseStatus) {

    /** Postfix's SMTPD_PEER_CODE_* values, so ">= PERM" reads as in smtpd_check.c. */
    public static final int OK = 2;
    public static final int TEMP = 4;
    public static final int PERM = 5;
    public static final int FORGED = 6;

    public static final String UNKNOWN = "unknown";

    /** What a session knows without lookups (smtpd_peername_lookup = no, or not asked yet). */
    public static final ClientName NOT_LOOKED_UP = new ClientName(UNKNOWN, UNKNOWN, PERM, PERM);

    public static ClientName unknown(int status) {
        return new ClientName(UNKNOWN, UNKNOWN, status, status);
    }

    public boolean known() {
        return nameStatus == OK;
    }
}
