package dev.portcullis.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One flooding client address: rounds of abusive sessions from one 127.x source until the
 * deadline, and a tally of what got through. Rounds, in turn:
 * <ol>
 * <li>DICTIONARY: EHLO, MAIL, then {@code guesses} RCPTs of which every {@code validEvery}-th is
 * a real recipient and the rest guesses (550 5.1.1 from the recipient table); when one was
 * accepted, DATA and a small spam message.</li>
 * <li>RELAY: three RCPTs to a foreign domain (554 5.7.1 Relay access denied).</li>
 * <li>BURST: {@code burst} connections opened at once and held until all have their banner
 * (anvil's connection count and rate limits answer 421).</li>
 * <li>ERRORS: unknown commands until the server hangs up (the tarpit, then
 * {@code smtpd_hard_error_limit}'s 421).</li>
 * </ol>
 * A connection counts as <em>refused</em> (banned) when the connect is refused (a firewall's
 * reject), when the banner is a 554, or when the server closes before any banner (an edge
 * configured to close silently). 421 at connect is a limit, not a ban; so is a connect or
 * banner that times out, which a full listen queue or process table causes too (a firewall
 * that silently drops would show up here, which is why the bench's fail2ban action rejects).
 *
 * <p>Time to ban is measured by a separate probe, not by the rounds: from the first rejected
 * RCPT (the first offence both jails count) the probe connects to every target every
 * {@code probeMillis} (banner, QUIT) until each has refused once, so a tarpitted round in
 * progress cannot delay the measurement. The rounds themselves keep going after a refusal, at
 * most one connect every {@code probeMillis}, and everything that still gets through then is
 * counted apart ("after the ban").
 *
 * <p>Only the attacker's own thread writes the round tallies and only the probe thread the
 * refusal times; the bench reads both after joining the threads.
 */
final class Attacker implements Runnable {

    /** What a flood client does; the same for every attacker of a run. */
    record Settings(List<InetSocketAddress> targets, String domain, List<String> validRecipients,
                    int guesses, int validEvery, int burst, int errors, int probeMillis,
                    int connectTimeoutMillis, int replyTimeoutMillis) {
    }

    private enum Round { DICTIONARY, RELAY, BURST, ERRORS }

    private enum Opened { OPEN, LIMITED, REFUSED }

    private static final long GRACE_NANOS = 2_000_000_000L;

    private final int index;
    private final InetAddress source;
    private final Settings s;
    private final long startNanos;
    private final long deadlineNanos;
    private final long[] firstRefusedNanos;
    private volatile long firstOffenceNanos;
    private volatile long firstRefusalSeenNanos;
    private Thread probe;
    private long guessSeq;

    int connects;
    int opened;
    int limited;
    int refused;
    int cut;
    int commandsAccepted;
    int rcptAccepted;
    int rcptRejected;
    int messagesAccepted;
    int errorReplies;
    int openedAfterBan;
    int rcptAcceptedAfterBan;
    int messagesAcceptedAfterBan;
    int probeConnects;

    Attacker(int index, InetAddress source, Settings settings, long startNanos, long deadlineNanos) {
        this.index = index;
        this.source = source;
        this.s = settings;
        this.startNanos = startNanos;
        this.deadlineNanos = deadlineNanos;
        this.firstRefusedNanos = new long[settings.targets().size()];
    }

    InetAddress source() {
        return source;
    }

    /** Nanos from the first offence to the first refusal at any target, -1 when not banned in time. */
    long toFirstBanNanos() {
        long first = Arrays.stream(firstRefusedNanos).filter(t -> t != 0).min().orElse(0);
        return firstOffenceNanos == 0 || first == 0 ? -1 : first - firstOffenceNanos;
    }

    /** Nanos from the first offence until every target had refused once, -1 when one never did. */
    long toBanEverywhereNanos() {
        if (firstOffenceNanos == 0 || Arrays.stream(firstRefusedNanos).anyMatch(t -> t == 0)) {
            return -1;
        }
        return Arrays.stream(firstRefusedNanos).max().orElse(0) - firstOffenceNanos;
    }

    boolean offended() {
        return firstOffenceNanos != 0;
    }

    /** Joins the probe thread (call after this attacker's own thread ended). */
    void joinProbe(long millis) throws InterruptedException {
        Thread p = probe;
        if (p != null) {
            p.join(millis);
        }
    }

    @Override
    public void run() {
        try {
            long wait = startNanos - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            }
            Round[] rounds = Round.values();
            for (int r = 0; System.nanoTime() < deadlineNanos; r++) {
                boolean banned = firstRefusalSeenNanos != 0;
                if (banned) {
                    Thread.sleep(s.probeMillis());
                }
                switch (rounds[r % rounds.length]) {
                    case DICTIONARY -> dictionary(r);
                    case RELAY -> relay(r);
                    case BURST -> burst(r);
                    case ERRORS -> errors(r);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dictionary(int r) throws InterruptedException {
        try (Session c = open(r)) {
            if (c == null) {
                return;
            }
            if (!c.accepted("EHLO a" + index + ".attacker.example") || !c.accepted("MAIL FROM:<bulk" + index + "@attacker.example>")) {
                return;
            }
            int ok = 0;
            for (int g = 0; g < s.guesses() && System.nanoTime() < deadlineNanos; g++) {
                String rcpt = g % s.validEvery() == s.validEvery() - 1
                        ? s.validRecipients().get((g / s.validEvery() + index) % s.validRecipients().size())
                        : "guess" + index + "x" + (guessSeq++) + "@" + s.domain();
                int code = c.command("RCPT TO:<" + rcpt + ">");
                if (code / 100 == 2) {
                    ok++;
                    rcptAccepted++;
                    if (c.afterBan) {
                        rcptAcceptedAfterBan++;
                    }
                } else {
                    rcptRejected++;
                    offence();
                    if (code == 421) {
                        return;
                    }
                }
            }
            if (ok > 0 && c.command("DATA") == 354) {
                c.send("From: <bulk" + index + "@attacker.example>\r\nSubject: cheap pills " + r
                        + "\r\n\r\nbuy now\r\n.\r\n");
                if (c.reply() / 100 == 2) {
                    commandsAccepted++;
                    messagesAccepted++;
                    if (c.afterBan) {
                        messagesAcceptedAfterBan++;
                    }
                }
            }
            c.command("QUIT");
        } catch (IOException e) {
            cut();
        }
    }

    private void relay(int r) throws InterruptedException {
        try (Session c = open(r)) {
            if (c == null || !c.accepted("EHLO a" + index + ".attacker.example") || !c.accepted("MAIL FROM:<>")) {
                return;
            }
            for (int i = 0; i < 3; i++) {
                int code = c.command("RCPT TO:<victim" + i + "@relay-target.example>");
                if (code / 100 == 2) {
                    rcptAccepted++;
                } else {
                    rcptRejected++;
                    offence();
                }
            }
            c.command("QUIT");
        } catch (IOException e) {
            cut();
        }
    }

    private void burst(int r) throws InterruptedException {
        List<Session> held = new ArrayList<>();
        try {
            for (int i = 0; i < s.burst() && System.nanoTime() < deadlineNanos; i++) {
                try {
                    Session c = open(r + i);
                    if (c != null) {
                        held.add(c);
                    }
                } catch (IOException e) {
                    cut();
                }
            }
        } finally {
            for (Session c : held) {
                try (c) {
                    c.command("QUIT");
                } catch (IOException e) {
                    cut();
                }
            }
        }
    }

    private void errors(int r) throws InterruptedException {
        try (Session c = open(r)) {
            if (c == null) {
                return;
            }
            for (int i = 0; i < s.errors() && System.nanoTime() < deadlineNanos; i++) {
                int code = c.command("BOGUS" + i);
                if (code == 421) {
                    break;
                }
                if (code / 100 != 2) {
                    errorReplies++;
                }
            }
        } catch (IOException e) {
            cut();
        }
    }

    private void offence() {
        if (firstOffenceNanos == 0) {
            firstOffenceNanos = System.nanoTime();
            probe = new Thread(this::probe, "probe-" + source.getHostAddress());
            probe.setDaemon(true);
            probe.start();
        }
    }

    /** Connects to every target that has not refused yet, every probeMillis, until all did. */
    private void probe() {
        try {
            while (System.nanoTime() < deadlineNanos) {
                boolean all = true;
                for (int t = 0; t < firstRefusedNanos.length; t++) {
                    if (firstRefusedNanos[t] != 0) {
                        continue;
                    }
                    probeConnects++;
                    if (connect(s.targets().get(t)) == Opened.REFUSED) {
                        firstRefusedNanos[t] = System.nanoTime();
                        if (firstRefusalSeenNanos == 0) {
                            firstRefusalSeenNanos = firstRefusedNanos[t];
                        }
                    } else {
                        all = false;
                    }
                }
                if (all) {
                    return;
                }
                Thread.sleep(s.probeMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The probe's connect: banner, QUIT, close. */
    private Opened connect(InetSocketAddress target) {
        try (Socket socket = socket()) {
            try {
                connect(socket, target);
            } catch (ConnectException e) {
                return Opened.REFUSED;
            } catch (SocketTimeoutException e) {
                return Opened.LIMITED;
            }
            InputStream in = new BufferedInputStream(socket.getInputStream());
            Opened o = banner(in);
            if (o != Opened.REFUSED) {
                socket.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            return o;
        } catch (IOException e) {
            return Opened.REFUSED;
        }
    }

    private static Opened banner(InputStream in) {
        try {
            int code = SmtpReplies.code(SmtpReplies.read(in));
            return code == 220 ? Opened.OPEN : code == 421 ? Opened.LIMITED : Opened.REFUSED;
        } catch (SocketTimeoutException e) {
            return Opened.LIMITED; // slow, not refused: the server is there but busy
        } catch (IOException e) {
            return Opened.REFUSED; // closed or reset before any banner
        }
    }

    private Socket socket() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.bind(new InetSocketAddress(source, 0));
        return socket;
    }

    /**
     * A blocking wait's limit: the configured timeout, but never past the deadline plus
     * {@link #GRACE_NANOS}, so that every round ends soon after the flood does even when the
     * server holds its replies (a tarpit, a full smtpd process table).
     */
    private int timeout(int configured) {
        long left = (deadlineNanos + GRACE_NANOS - System.nanoTime()) / 1_000_000L;
        return (int) Math.max(1, Math.min(configured, left));
    }

    private void connect(Socket socket, InetSocketAddress target) throws IOException {
        socket.connect(target, timeout(s.connectTimeoutMillis()));
        socket.setSoTimeout(timeout(s.replyTimeoutMillis()));
    }

    /** A session cut by the server or the network, counted only while the flood lasts. */
    private void cut() {
        if (System.nanoTime() < deadlineNanos) {
            cut++;
        }
    }

    /** Opens a round's connection to target n; null (and counted) when it was refused or limited. */
    private Session open(int n) throws IOException {
        connects++;
        Socket socket = socket();
        try {
            connect(socket, s.targets().get(Math.floorMod(n, s.targets().size())));
        } catch (ConnectException e) {
            socket.close();
            refused++;
            return null;
        } catch (SocketTimeoutException e) {
            socket.close();
            limited++;
            return null;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        InputStream in = new BufferedInputStream(socket.getInputStream());
        Opened o = banner(in);
        if (o != Opened.OPEN) {
            socket.close();
            if (o == Opened.REFUSED) {
                refused++;
            } else {
                limited++;
            }
            return null;
        }
        opened++;
        boolean afterBan = firstRefusalSeenNanos != 0;
        if (afterBan) {
            openedAfterBan++;
        }
        return new Session(socket, in, afterBan);
    }

    /** An open attacker session. */
    private final class Session implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        final boolean afterBan;

        Session(Socket socket, InputStream in, boolean afterBan) throws IOException {
            this.socket = socket;
            this.in = in;
            this.out = socket.getOutputStream();
            this.afterBan = afterBan;
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        int reply() throws IOException {
            socket.setSoTimeout(timeout(s.replyTimeoutMillis()));
            return SmtpReplies.code(SmtpReplies.read(in));
        }

        /** Sends a command and returns the reply code; a 2xx (but QUIT's 221) counts as accepted. */
        int command(String line) throws IOException {
            send(line + "\r\n");
            int code = reply();
            if (code / 100 == 2 && !"QUIT".equals(line)) {
                commandsAccepted++;
            }
            return code;
        }

        boolean accepted(String line) throws IOException {
            return command(line) / 100 == 2;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
