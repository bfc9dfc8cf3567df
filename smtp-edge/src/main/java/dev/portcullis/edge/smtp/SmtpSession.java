package dev.portcullis.edge.smtp;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.config.BareNewlinePolicy;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.edge.restrict.ClientName;
import dev.portcullis.edge.tls.TlsGate;
import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One client's SMTP session on the edge: RFC 5321 with Postfix's replies, its error tarpit
 * and limits, relaying each transaction to the next hop as a before-queue proxy.
 *
 * <p>How: everything runs on the event loop that accepted the socket; nothing blocks. Input
 * goes through a {@link LineReader}; commands are executed one at a time. A command that
 * must wait - for the tarpit timer, or for the next hop's answer - marks the session busy
 * and further pipelined input stays in the reader (the socket is paused once that holds more
 * than {@link #MAX_BUFFERED} bytes), so a pipelining client gets its replies in order and a
 * flooding one cannot grow our buffers.
 *
 * <p>The session holds the state; each responsibility is a small class over it, so that a
 * command's code reads in one place: {@link GreetingCommands} (connect, HELO/EHLO, STARTTLS
 * and the TLS gate), {@link EnvelopeCommands} (MAIL, RCPT, DATA and the next-hop connection),
 * {@link DataPhase} (the message up to the final dot), {@link RestrictionChecks} (the
 * restriction lists' facts, DNS lookups and notes), {@link SessionLimits} (anvil limits, local
 * and cluster-wide), {@link ReplyPath} (counting, logging and the tarpit for every reply) and
 * {@link IdleTimer} (smtpd_timeout). Here stay the lifecycle, the input loop and the command
 * dispatch, with the commands too small for a class of their own (RSET, NOOP, QUIT, VRFY).
 *
 * <p>The tarpit (Postfix smtpd_chat_reply, see {@link ReplyPath}): once the error count has
 * reached the soft limit every reply is delayed; at the hard limit the session is closed.
 *
 * <p>Cluster-wide verdicts ({@link ClusterVerdicts}, read from {@code portcullis.verdicts})
 * are a layer over the local floor: {@link LocalAnvil} is asked first and always counts, then
 * a verdict on the client's IP or on a network containing it refuses the connection (connection
 * count or rate, with the local anvil's 421), MAIL (message rate, 450) or RCPT (recipient rate,
 * 450) exactly as the local limit would, logged with "(cluster-wide)". Clients in
 * {@code smtpd_client_event_limit_exceptions} are exempt from those, as from anvil. Errors
 * carried over from the client's earlier sessions ({@link Verdict#CARRIED_ERRORS}) apply to
 * every client: the session starts with that error count, at most one below the hard limit,
 * so its replies after the greeting are tarpitted and its next error past the hard limit ends
 * it. A verdict is looked at only at those checks: one that arrives mid-session applies at the
 * session's next connect, MAIL or RCPT, never by cutting the session.
 *
 * <p>Before-queue proxy: a next-hop connection is opened at MAIL, every accepted RCPT is
 * forwarded and the next hop's answer is what the client sees, the message is streamed as it
 * arrives (with a Received header), and the client's 250 is the next hop's 250. Any failure
 * of the next hop is a 4xx to the client; nothing is queued here.
 */
final class SmtpSession {

    /** Unread input beyond which the socket is paused. */
    static final int MAX_BUFFERED = 64 * 1024;
    /** How much of untrusted text (a command, a reply, an error) a log line or an event carries. */
    static final int LOG_TEXT = 100;
    /** How long a closing session may take to flush its last reply before it is cut off. */
    private static final long CLOSE_GRACE_MILLIS = 5_000;

    enum State { COMMAND, DATA, CLOSING, CLOSED }

    final GreetingCommands greeting = new GreetingCommands(this);
    final EnvelopeCommands envelope = new EnvelopeCommands(this);
    final RestrictionChecks checks = new RestrictionChecks(this);
    final SessionLimits limits = new SessionLimits(this);
    final ReplyPath replies = new ReplyPath(this);
    final IdleTimer idle = new IdleTimer(this);

    // The state below is package-private because the collaborators above read and change it;
    // they all run on this session's event loop, one command at a time, as the session did.
    final SessionServices services;
    final EdgeSettings settings;
    final NetSocket socket;
    final InetAddress clientAddress;
    final String clientIp;
    private final int clientPort;
    /** "name[ip]" in log lines: "unknown[ip]" until a restriction had the client name looked up. */
    String clientLog;
    /** The client's names, once a restriction needed them (looked up once per session). */
    ClientName clientName;
    final String sessionId;
    final LineReader reader;
    final CommandCounts counts = new CommandCounts();
    private final long startNanos = System.nanoTime();
    final Context context;
    private Runnable onEnd = () -> { };

    State state = State.COMMAND;
    boolean busy;
    /** Inside {@link #process()}: replies sent from there must not restart the loop. */
    private boolean processing;
    /** STARTTLS answered, TLS handshake not yet complete. */
    boolean tlsPending;
    private boolean paused;
    boolean tls;
    int messages;
    String helo;
    /** The HELO argument as sent (bounded by line_length_limit), for the restrictions to judge. */
    String heloName;
    boolean esmtp;
    /**
     * Set when smtpd_client_restrictions refused the client at connect (smtpd_delay_reject =
     * no): every command but QUIT then gets Postfix's "503 5.7.0 Error: access denied for ...".
     */
    boolean accessDenied;
    /**
     * Postfix's "improper command pipelining" flag, for reject_unauth_pipelining: set once the
     * client has sent input after a command that must end a group (HELO, EHLO, DATA, NOOP,
     * VRFY - RFC 2920), or after any command before it saw PIPELINING in an EHLO reply.
     */
    boolean illegalPipelining;
    private String lastCommand = "CONNECT";
    boolean anvilCounted;
    String endReason = "lost";

    Transaction tx;
    DataPhase data;

    SmtpSession(SessionServices services, NetSocket socket, InetAddress clientAddress, int clientPort,
                Context context) {
        this.services = services;
        this.context = context;
        this.settings = services.settings();
        this.socket = socket;
        this.clientAddress = clientAddress;
        this.clientIp = clientAddress.getHostAddress();
        this.clientPort = clientPort;
        this.clientLog = "unknown[" + clientIp + "]";
        this.sessionId = SessionIds.next();
        this.reader = new LineReader(settings.lineLengthLimit());
    }

    // ------------------------------------------------------------------ lifecycle

    /** Runs a task on this session's event loop (sessions are not thread-safe). */
    void contextRun(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    void start(Runnable onEnd) {
        start(onEnd, null);
    }

    /**
     * @param early input that arrived with the PROXY header, before our greeting (null if
     *              none): read as if it came right after the greeting, as smtpd would read it
     */
    void start(Runnable onEnd, Buffer early) {
        open(onEnd);
        if (early != null && early.length() > 0) {
            onInput(early);
        }
    }

    private void open(Runnable onEnd) {
        this.onEnd = onEnd;
        socket.handler(this::onInput);
        socket.closeHandler(v -> onClosed());
        socket.exceptionHandler(e -> socket.close());
        services.metrics().connection();
        services.log().smtpd("connect from " + clientLog);
        publish(new SessionEvent.Connect(meta(), clientPort, String.valueOf(socket.localAddress())));
        greeting.connect();
    }

    /** End of the drain period: whatever is still open is told so and closed. */
    void forceClose() {
        if (state != State.CLOSED && state != State.CLOSING) {
            endReason = "shutdown";
            sendNow(Replies.shuttingDown(settings.myhostname()));
            close();
        }
    }

    /** Drain on shutdown: tell the client and close, between commands only. */
    void shutdown() {
        if (state == State.COMMAND && !busy && tx == null) {
            endReason = "shutdown";
            sendNow(Replies.shuttingDown(settings.myhostname()));
            close();
        }
    }

    private void onClosed() {
        if (state == State.CLOSED) {
            return;
        }
        boolean clean = state == State.CLOSING;
        state = State.CLOSED;
        onEnd.run();
        idle.cancel();
        String lostStage = stageForLog();
        if (data != null) {
            counts.count("DATA", false);
        }
        abortTransaction();
        if (anvilCounted) {
            services.anvil().disconnect(clientAddress, clientIp);
        }
        if (replies.tarpitted) {
            services.metrics().tarpittedSessions().decrementAndGet();
        }
        services.metrics().activeSessions().decrementAndGet();
        if (!clean && !"quit".equals(endReason)) {
            services.log().smtpd("lost connection after " + lostStage + " from " + clientLog);
        }
        services.log().smtpd("disconnect from " + clientLog + counts.render());
        // The errors this session made itself: carried ones were counted by the sessions that made them.
        publish(new SessionEvent.Disconnect(meta(), endReason,
                Duration.ofNanos(System.nanoTime() - startNanos).toMillis(), Math.max(0, replies.errorCount - replies.carriedErrors),
                messages, counts.asMap()));
    }

    void close() {
        if (state == State.CLOSED || state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        idle.cancel();
        socket.close();
        // Vert.x closes only after our pending output is written, which a client that stops
        // reading can postpone for ever, keeping its slot and counters. Cut it off.
        services.vertx().setTimer(CLOSE_GRACE_MILLIS, id -> {
            if (state != State.CLOSED && socket instanceof io.vertx.core.net.impl.NetSocketInternal internal) {
                internal.channelHandlerContext().channel().close();
            }
        });
    }

    // ------------------------------------------------------------------ input

    private void onInput(Buffer chunk) {
        if (state == State.CLOSING || state == State.CLOSED || tlsPending) {
            // During a STARTTLS upgrade anything still arriving in clear text is injected
            // input (CVE-2011-0411 style) and is dropped unread.
            return;
        }
        reader.append(chunk);
        process();
    }

    /** Executes buffered lines until one has to wait, then applies back-pressure. */
    void process() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            drain();
        } finally {
            processing = false;
        }
    }

    private void drain() {
        // A client that does not read its replies gets no more commands executed until it does.
        while (!busy && !socket.writeQueueFull() && (state == State.COMMAND || state == State.DATA)) {
            LineReader.Line line = reader.next();
            if (line == null) {
                break;
            }
            idle.arm();
            if (state == State.COMMAND) {
                command(line);
            } else {
                data.line(line);
            }
        }
        if (state == State.DATA && !busy) {
            data.flush(false);
        }
        boolean full = reader.buffered() > MAX_BUFFERED || socket.writeQueueFull();
        if (full && !paused && state != State.CLOSED) {
            paused = true;
            socket.pause();
            if (socket.writeQueueFull()) {
                socket.drainHandler(v -> resumeIfIdle());
            }
        } else if (!full && paused && !busy) {
            paused = false;
            socket.resume();
        }
    }

    private void resumeIfIdle() {
        if (state == State.CLOSED) {
            return;
        }
        process();
    }

    // ------------------------------------------------------------------ commands

    private void command(LineReader.Line line) {
        if (line.overlong()) {
            services.log().smtpd("warning: " + clientLog + ": request longer than " + settings.lineLengthLimit()
                    + ": " + Untrusted.printable(new String(line.bytes(), 0, Math.min(30, line.bytes().length),
                    StandardCharsets.ISO_8859_1), 30) + "...");
            lastCommand = "UNKNOWN";
            counts.count("unknown", false);
            replies.error("UNKNOWN", Replies.lineTooLong());
            return;
        }
        if (line.terminator() == LineReader.Terminator.BARE_LF && bareNewlineRejected()) {
            bareNewline();
            return;
        }
        // Postfix's smtpd cuts a command at a NUL byte and requires the rest to be UTF-8.
        byte[] bytes = line.bytes();
        int nul = CommandSyntax.indexOf(bytes, (byte) 0);
        String text;
        try {
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes, 0, nul < 0 ? bytes.length : nul)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            lastCommand = "UNKNOWN";
            syntaxError(Replies.badUtf8());
            return;
        }
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            lastCommand = "UNKNOWN";
            syntaxError(Replies.badSyntax());
            return;
        }
        int space = trimmed.indexOf(' ');
        String verb = (space < 0 ? trimmed : trimmed.substring(0, space)).toUpperCase(Locale.ROOT);
        String args = space < 0 ? "" : trimmed.substring(space + 1).strip();
        if (CommandSyntax.forbidden(trimmed, verb)) {
            // smtpd_forbidden_commands: HTTP and mail headers sent to the SMTP port are a
            // client that is not speaking SMTP (or a cross-protocol attack); end it at once.
            services.log().smtpd("warning: non-SMTP command from " + clientLog + ": "
                    + Untrusted.printable(trimmed, LOG_TEXT));
            endReason = "non-smtp";
            publish(new SessionEvent.Error(meta(), "NON-SMTP", 221, "2.7.0", Untrusted.printable(trimmed, LOG_TEXT),
                    replies.errorCount));
            replies.reply(Replies.breakRules(), false, "UNKNOWN"); // tarpitted like any reply, then closed
            return;
        }
        boolean knownVerb = switch (verb) {
            case "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "STARTTLS",
                 "AUTH", "ETRN" -> true;
            default -> false;
        };
        lastCommand = knownVerb ? verb : "UNKNOWN";
        if (!illegalPipelining && reader.buffered() > 0 && (!esmtp || CommandSyntax.endsGroup(verb))) {
            illegalPipelining = true;
            byte[] next = reader.peek(100);
            services.log().smtpd("improper command pipelining after " + lastCommand + " from " + clientLog + ": "
                    + Untrusted.printable(new String(next, StandardCharsets.ISO_8859_1).replace("\r", "\\r")
                    .replace("\n", "\\n"), 200));
        }
        if (accessDenied && !verb.equals("QUIT")) {
            counts.count(knownVerb ? verb : "unknown", false);
            replies.error(lastCommand, Replies.accessDenied(clientLog));
            return;
        }
        if (greeting.mustStartTlsFirst(verb)) {
            counts.count(knownVerb ? verb : "unknown", false);
            replies.error(lastCommand, TlsGate.mustStartTls());
            return;
        }
        dispatch(verb, args);
        if (CommandSyntax.isJunk(verb) && replies.junkCount++ > settings.junkCommandLimit()) {
            // Postfix counts commands that do no work towards the error limit once there are
            // too many of them (after the command's own reply, as smtpd does), so a client
            // cannot idle along on NOOPs for ever.
            replies.errorCount++;
        }
    }

    private void dispatch(String verb, String args) {
        switch (verb) {
            case "EHLO", "HELO" -> greeting.helo(verb, args);
            case "MAIL" -> envelope.mail(args);
            case "RCPT" -> envelope.rcpt(args);
            case "DATA" -> envelope.dataCommand(args);
            case "RSET" -> rset(args);
            case "NOOP" -> replies.ok("NOOP", Replies.ok());
            case "QUIT" -> quit();
            case "VRFY" -> vrfy(args);
            case "STARTTLS" -> greeting.startTls(args);
            case "AUTH" -> replies.fail("AUTH", Replies.authNotEnabled());
            case "ETRN" -> replies.fail("ETRN", Replies.notImplemented());
            default -> {
                counts.count("unknown", false);
                replies.error("UNKNOWN", Replies.unknownCommand());
            }
        }
    }

    /** Empty or undecodable input: an error for the tarpit, not a command in the counts. */
    private void syntaxError(SmtpReply r) {
        replies.error("UNKNOWN", r);
    }

    private void rset(String args) {
        if (!args.isEmpty()) {
            replies.fail("RSET", Replies.syntax("RSET"));
            return;
        }
        abortTransaction();
        replies.ok("RSET", Replies.ok());
    }

    private void quit() {
        counts.count("QUIT", true);
        endReason = "quit";
        abortTransaction();
        // The goodbye goes through the tarpit like any reply, as in Postfix.
        replies.reply(Replies.bye(), false, "QUIT");
    }

    private void vrfy(String args) {
        if (settings.disableVrfy()) {
            replies.fail("VRFY", Replies.vrfyDisabled());
            return;
        }
        if (args.isEmpty()) {
            replies.fail("VRFY", Replies.syntax("VRFY address [SMTPUTF8]"));
            return;
        }
        // The edge has no recipient table to consult: "cannot verify, will accept", as
        // Postfix says when it has no recipient verification either.
        String address = args.startsWith("<") && args.endsWith(">") ? args.substring(1, args.length() - 1) : args;
        replies.ok("VRFY", Replies.vrfy(Untrusted.printable(address, 320)));
    }

    void sendNow(SmtpReply r) {
        if (state != State.CLOSED) {
            socket.write(r.toBuffer());
        }
    }

    // ------------------------------------------------------------------ helpers

    boolean bareNewlineRejected() {
        return settings.bareNewline() == BareNewlinePolicy.REJECT && !settings.bareNewlineExclusions().test(clientAddress);
    }

    /** {@code smtpd_forbid_bare_newline = reject} on a command line: Postfix answers 550 and hangs up. */
    private void bareNewline() {
        services.log().smtpd("warning: disconnect: bare <LF> received from " + clientLog + " after " + lastCommand);
        endReason = "bare-newline";
        abortTransaction();
        counts.count(lastCommand, false);
        services.metrics().reject(550, "smtpd_forbid_bare_newline");
        publish(new SessionEvent.Reject(meta(), lastCommand, 550, "5.5.2", "smtpd_forbid_bare_newline",
                "Error: bare <LF> received", null, null));
        replies.reply(Replies.bareNewline(settings.myhostname()), true, lastCommand); // tarpitted, then closed
    }

    void abortTransaction() {
        if (tx != null) {
            tx.close();
            tx = null;
        }
        if (data != null) {
            data = null;
            reader.dataMode(false);
        }
    }

    /** "DATA (1234 bytes)" while receiving a message, as Postfix logs it; else the last command. */
    String stageForLog() {
        return data != null ? "DATA (" + data.size() + " bytes)" : lastCommand;
    }

    String proto() {
        return esmtp ? "ESMTP" : "SMTP";
    }

    String helo() {
        return helo == null ? "" : helo;
    }

    void publish(SessionEvent event) {
        services.events().accept(event);
    }

    EventMeta meta() {
        return services.meta(sessionId, clientIp);
    }
}
