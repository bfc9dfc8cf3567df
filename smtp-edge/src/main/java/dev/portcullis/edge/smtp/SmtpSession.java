package dev.portcullis.edge.smtp;

import dev.portcullis.edge.protocol.Untrusted;

import dev.portcullis.edge.protocol.SmtpReply;

import dev.portcullis.edge.cluster.ClusterVerdicts;
import dev.portcullis.edge.content.ContentCheck;
import dev.portcullis.edge.content.ContentVerdict;
import dev.portcullis.edge.content.ForwardedMessage;
import dev.portcullis.edge.config.BareNewlinePolicy;
import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.defence.LocalAnvil;
import dev.portcullis.edge.log.MailLog;
import dev.portcullis.edge.relay.ProxySession;
import dev.portcullis.edge.restrict.ClientName;
import dev.portcullis.edge.restrict.DnsAnswers;
import dev.portcullis.edge.restrict.EnvelopeAction;
import dev.portcullis.edge.restrict.Facts;
import dev.portcullis.edge.restrict.Notes;
import dev.portcullis.edge.restrict.Outcome;
import dev.portcullis.edge.restrict.RestrictionEngine;
import dev.portcullis.edge.tls.TlsGate;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Verdict;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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
 * <p>The tarpit (Postfix smtpd_chat_reply): once {@code errorCount} has reached the soft
 * limit every reply is delayed; the count goes up after a command's error reply and, for
 * junk commands past {@code smtpd_junk_command_limit}, before it; when it reaches the hard
 * limit the session gets "421 ... too many errors" and is closed. A delivered message resets
 * the count.
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
    /** Output gathered before it is handed to the next hop in one write. */
    private static final int FLUSH_THRESHOLD = 32 * 1024;
    private static final int LOG_TEXT = 100;
    /** How long a closing session may take to flush its last reply before it is cut off. */
    private static final long CLOSE_GRACE_MILLIS = 5_000;
    /** Marks a limit warning in the mail log as a cluster verdict's, not this edge's anvil's. */
    private static final String CLUSTER_WIDE = " (cluster-wide)";

    private enum State { COMMAND, DATA, CLOSING, CLOSED }

    private final SessionServices services;
    private final EdgeSettings settings;
    private final NetSocket socket;
    private final InetAddress clientAddress;
    private final String clientIp;
    private final int clientPort;
    /** "name[ip]" in log lines: "unknown[ip]" until a restriction had the client name looked up. */
    private String clientLog;
    /** The client's names, once a restriction needed them (looked up once per session). */
    private ClientName clientName;
    private final String sessionId;
    private final LineReader reader;
    private final CommandCounts counts = new CommandCounts();
    private final long startNanos = System.nanoTime();
    private final Context context;
    private Runnable onEnd = () -> { };

    private State state = State.COMMAND;
    private boolean busy;
    /** Inside {@link #process()}: replies sent from there must not restart the loop. */
    private boolean processing;
    /** STARTTLS answered, TLS handshake not yet complete. */
    private boolean tlsPending;
    private boolean paused;
    private boolean tls;
    private int errorCount;
    private int junkCount;
    private int messages;
    private String helo;
    /** The HELO argument as sent (bounded by line_length_limit), for the restrictions to judge. */
    private String heloName;
    private boolean esmtp;
    /**
     * Set when smtpd_client_restrictions refused the client at connect (smtpd_delay_reject =
     * no): every command but QUIT then gets Postfix's "503 5.7.0 Error: access denied for ...".
     */
    private boolean accessDenied;
    /**
     * Postfix's "improper command pipelining" flag, for reject_unauth_pipelining: set once the
     * client has sent input after a command that must end a group (HELO, EHLO, DATA, NOOP,
     * VRFY - RFC 2920), or after any command before it saw PIPELINING in an EHLO reply.
     */
    private boolean illegalPipelining;
    private String lastCommand = "CONNECT";
    private long idleTimer = -1;
    private long lastActivityNanos = System.nanoTime();
    private boolean anvilCounted;
    /** In {@code smtpd_client_event_limit_exceptions}: no anvil limit, local or cluster-wide. */
    private boolean anvilExempt;
    /** Errors this session started with, carried over by a cluster verdict (not its own). */
    private int carriedErrors;
    private boolean tarpitted;
    private String endReason = "lost";

    private Transaction tx;
    private DataPhase data;
    /** DISCARD, PREPEND, REDIRECT, BCC fired by the sender list at MAIL, before its transaction exists. */
    private final List<EnvelopeAction> pendingActions = new ArrayList<>(1);

    /** The envelope of the transaction in progress and its next-hop connection. */
    private static final class Transaction {
        final String sender;
        final String mailArgs;
        final long declaredSize;
        /** Opened at the first RCPT that passes the local checks, as Postfix's smtpd_proxy does. */
        ProxySession proxy;
        int recipients;
        String lastRecipient;
        /** Every accepted recipient (at most smtpd_recipient_limit), for the content filter's envelope. */
        final List<String> recipientList = new ArrayList<>();
        boolean broken;
        /** Set by an access table's DISCARD (the check that fired): nothing more goes to the next hop. */
        String discard;
        /** PREPEND headers for the top of the message, in the order they fired. */
        final List<String> prepend = new ArrayList<>(1);
        /** The last REDIRECT target, and the one the next hop was given. */
        String redirect;
        String redirectSent;
        /** BCC recipients, each given to the next hop once, before DATA. */
        final java.util.Set<String> bcc = new java.util.LinkedHashSet<>(1);
        final java.util.Set<String> bccSent = new java.util.HashSet<>(1);

        Transaction(String sender, String mailArgs, long declaredSize) {
            this.sender = sender;
            this.mailArgs = mailArgs;
            this.declaredSize = declaredSize;
        }

        void close() {
            if (proxy != null) {
                proxy.close();
                proxy = null;
            }
        }
    }

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

        anvilExempt = services.anvil().exempt(clientAddress);
        LocalAnvil.Exceeded over = services.anvil().connect(clientAddress, clientIp);
        anvilCounted = true;
        String scope = "";
        if (over != null) {
            limitHit(over);
        } else {
            // The local floor let it through: the cluster-wide layer may still refuse it.
            ClusterVerdicts.Match cluster = clusterLimit(Verdict.CONNECTION_COUNT);
            if (cluster == null) {
                cluster = clusterLimit(Verdict.CONNECTION_RATE);
            }
            if (cluster != null) {
                over = clusterLimitHit(cluster);
                scope = CLUSTER_WIDE;
            }
        }
        if (over != null) {
            String what = over.parameter().contains("rate") ? "Connection rate" : "Connection concurrency";
            services.log().smtpd("warning: " + what + " limit exceeded: " + over.value() + " from " + clientLog
                    + " for service smtp" + scope);
            endReason = "limit";
            reply(Replies.tooManyConnections(settings.myhostname(), clientIp), false, "CONNECT");
            return;
        }
        carryErrors();
        prepared(RestrictionEngine.Check.CONNECT, facts("CONNECT", null, null), f -> {
            Outcome connect = services.restrictions().connect(f, notes("CONNECT", null, null));
            if (connect instanceof Outcome.Refusal refused) {
                // As Postfix's smtpd: the refusal is the greeting, and the session stays open to
                // answer each command with "access denied" (421/521 close it at once).
                accessDenied = true;
                armIdleTimer();
                restrictionReject("CONNECT", refused, null, null);
                return;
            }
            sendNow(Replies.greeting(settings.smtpdBanner()));
            armIdleTimer();
        });
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
        cancelIdleTimer();
        String lostStage = stageForLog();
        if (data != null) {
            counts.count("DATA", false);
        }
        abortTransaction();
        if (anvilCounted) {
            services.anvil().disconnect(clientAddress, clientIp);
        }
        if (tarpitted) {
            services.metrics().tarpittedSessions().decrementAndGet();
        }
        services.metrics().activeSessions().decrementAndGet();
        if (!clean && !"quit".equals(endReason)) {
            services.log().smtpd("lost connection after " + lostStage + " from " + clientLog);
        }
        services.log().smtpd("disconnect from " + clientLog + counts.render());
        // The errors this session made itself: carried ones were counted by the sessions that made them.
        publish(new SessionEvent.Disconnect(meta(), endReason,
                Duration.ofNanos(System.nanoTime() - startNanos).toMillis(), Math.max(0, errorCount - carriedErrors),
                messages, counts.asMap()));
    }

    private void close() {
        if (state == State.CLOSED || state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        cancelIdleTimer();
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
    private void process() {
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
            armIdleTimer();
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
            error("UNKNOWN", Replies.lineTooLong());
            return;
        }
        if (line.terminator() == LineReader.Terminator.BARE_LF && bareNewlineRejected()) {
            bareNewline();
            return;
        }
        // Postfix's smtpd cuts a command at a NUL byte and requires the rest to be UTF-8.
        byte[] bytes = line.bytes();
        int nul = indexOf(bytes, (byte) 0);
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
        if (forbidden(trimmed, verb)) {
            // smtpd_forbidden_commands: HTTP and mail headers sent to the SMTP port are a
            // client that is not speaking SMTP (or a cross-protocol attack); end it at once.
            services.log().smtpd("warning: non-SMTP command from " + clientLog + ": "
                    + Untrusted.printable(trimmed, LOG_TEXT));
            endReason = "non-smtp";
            publish(new SessionEvent.Error(meta(), "NON-SMTP", 221, "2.7.0", Untrusted.printable(trimmed, LOG_TEXT),
                    errorCount));
            reply(Replies.breakRules(), false, "UNKNOWN"); // tarpitted like any reply, then closed
            return;
        }
        boolean knownVerb = switch (verb) {
            case "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "STARTTLS",
                 "AUTH", "ETRN" -> true;
            default -> false;
        };
        lastCommand = knownVerb ? verb : "UNKNOWN";
        if (!illegalPipelining && reader.buffered() > 0 && (!esmtp || endsGroup(verb))) {
            illegalPipelining = true;
            byte[] next = reader.peek(100);
            services.log().smtpd("improper command pipelining after " + lastCommand + " from " + clientLog + ": "
                    + Untrusted.printable(new String(next, StandardCharsets.ISO_8859_1).replace("\r", "\\r")
                    .replace("\n", "\\n"), 200));
        }
        if (accessDenied && !verb.equals("QUIT")) {
            counts.count(knownVerb ? verb : "unknown", false);
            error(lastCommand, Replies.accessDenied(clientLog));
            return;
        }
        if (settings.tls() != null && settings.tls().required() && !tls && !TlsGate.allowedBeforeTls(verb)) {
            counts.count(knownVerb ? verb : "unknown", false);
            error(lastCommand, TlsGate.mustStartTls());
            return;
        }
        dispatch(verb, args);
        if (isJunk(verb) && junkCount++ > settings.junkCommandLimit()) {
            // Postfix counts commands that do no work towards the error limit once there are
            // too many of them (after the command's own reply, as smtpd does), so a client
            // cannot idle along on NOOPs for ever.
            errorCount++;
        }
    }

    private void dispatch(String verb, String args) {
        switch (verb) {
            case "EHLO", "HELO" -> helo(verb, args);
            case "MAIL" -> mail(args);
            case "RCPT" -> rcpt(args);
            case "DATA" -> data(args);
            case "RSET" -> rset(args);
            case "NOOP" -> ok("NOOP", Replies.ok());
            case "QUIT" -> quit();
            case "VRFY" -> vrfy(args);
            case "STARTTLS" -> startTls(args);
            case "AUTH" -> fail("AUTH", Replies.authNotEnabled());
            case "ETRN" -> fail("ETRN", Replies.notImplemented());
            default -> {
                counts.count("unknown", false);
                error("UNKNOWN", Replies.unknownCommand());
            }
        }
    }

    /** Postfix's NEUTER_CHARACTERS in a HELO name become '?'. */
    static String neuter(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(" <>()\\\";@".indexOf(c) >= 0 ? '?' : c);
        }
        return sb.toString();
    }

    /** Commands after which a pipelining client must wait for our reply (RFC 2920 3.1). */
    private static boolean endsGroup(String verb) {
        return switch (verb) {
            case "HELO", "EHLO", "DATA", "NOOP", "VRFY" -> true;
            default -> false;
        };
    }

    private static boolean isJunk(String verb) {
        return switch (verb) {
            case "HELO", "EHLO", "NOOP", "VRFY", "ETRN", "RSET" -> true;
            default -> false;
        };
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Postfix's default {@code smtpd_forbidden_commands}: CONNECT, GET, POST, anything that
     * does not start with a letter, and lines that look like a message header.
     */
    static boolean forbidden(String line, String verb) {
        if (verb.equals("CONNECT") || verb.equals("GET") || verb.equals("POST")) {
            return true;
        }
        char first = line.charAt(0);
        if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z'))) {
            return true;
        }
        // A header: a name of printable non-space characters, then a colon.
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        for (int i = 0; i < colon; i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Empty or undecodable input: an error for the tarpit, not a command in the counts. */
    private void syntaxError(SmtpReply r) {
        error("UNKNOWN", r);
    }

    private void helo(String verb, String args) {
        if (args.isEmpty()) {
            fail(verb, Replies.heloSyntax(verb));
            return;
        }
        // smtpd's helo_cmd: the words joined by one space, then " <>()\\\";@" neutered to '?'.
        String name = neuter(String.join(" ", args.split("[ \t]+")));
        prepared(RestrictionEngine.Check.HELO, new Facts(clientAddress, clientLog, name, verb.equals("EHLO"), null, null,
                illegalPipelining, verb, clientName, DnsAnswers.NONE), f -> heloChecked(verb, name, f));
    }

    private void heloChecked(String verb, String name, Facts f) {
        Outcome checked = services.restrictions().helo(f, notes(verb, null, null));
        if (checked instanceof Outcome.Refusal refused) {
            restrictionReject(verb, refused, null, null);
            return;
        }
        abortTransaction();
        heloName = name;
        helo = Untrusted.printable(name, 255);
        esmtp = verb.equals("EHLO");
        publish(new SessionEvent.Helo(meta(), helo, esmtp));
        if (!esmtp) {
            ok(verb, Replies.helo(settings.myhostname()));
            return;
        }
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add(settings.myhostname());
        lines.add("PIPELINING");
        lines.add(settings.messageSizeLimit() > 0 ? "SIZE " + settings.messageSizeLimit() : "SIZE");
        if (!settings.disableVrfy()) {
            lines.add("VRFY");
        }
        if (settings.tls() != null && !tls) {
            lines.add("STARTTLS");
        }
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("8BITMIME");
        ok(verb, new SmtpReply(250, null, lines));
    }

    private void mail(String args) {
        if (settings.heloRequired() && helo == null) {
            fail("MAIL", Replies.sendHeloFirst());
            return;
        }
        if (tx != null) {
            fail("MAIL", Replies.nestedMail());
            return;
        }
        MailPath path;
        try {
            path = MailPath.parse(args, "FROM", true);
        } catch (MailPath.Invalid e) {
            fail("MAIL", e.reply());
            return;
        }
        long size = -1;
        for (var p : path.params().entrySet()) {
            switch (p.getKey()) {
                case "SIZE" -> {
                    try {
                        size = Long.parseLong(p.getValue());
                        if (size < 0) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        fail("MAIL", Replies.badSize());
                        return;
                    }
                }
                case "BODY" -> {
                    String body = p.getValue().toUpperCase(Locale.ROOT);
                    if (!body.equals("7BIT") && !body.equals("8BITMIME")) {
                        fail("MAIL", Replies.badBody());
                        return;
                    }
                }
                default -> {
                    fail("MAIL", Replies.unsupportedOption(Untrusted.printable(path.words().get(p.getKey()), 60)));
                    return;
                }
            }
        }
        String sender = Untrusted.printable(path.address(), 320);
        LocalAnvil.Exceeded over = services.anvil().message(clientAddress, clientIp);
        String scope = "";
        if (over != null) {
            limitHit(over);
        } else {
            ClusterVerdicts.Match cluster = clusterLimit(Verdict.MESSAGE_RATE);
            if (cluster != null) {
                over = clusterLimitHit(cluster);
                scope = CLUSTER_WIDE;
            }
        }
        if (over != null) {
            services.log().smtpd("warning: Message delivery request rate limit exceeded: " + over.value()
                    + " from " + clientLog + " for service smtp" + scope);
            reject("MAIL", Replies.tooMuchMail(clientIp), over.parameter(), sender, null);
            return;
        }
        if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
            reject("MAIL", Replies.sizeExceedsLimit(), "message_size_limit", sender, null);
            return;
        }
        long declared = size;
        pendingActions.clear();
        prepared(RestrictionEngine.Check.MAIL, facts("MAIL", sender, null), f -> mailChecked(f, sender, args, declared));
    }

    private void mailChecked(Facts f, String sender, String args, long size) {
        if (tx != null) {
            fail("MAIL", Replies.nestedMail()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = services.restrictions().mail(f, notes("MAIL", sender, null));
        if (checked instanceof Outcome.Refusal refused) {
            pendingActions.clear();
            restrictionReject("MAIL", refused, sender, null);
            return;
        }
        tx = new Transaction(sender, args, size);
        for (EnvelopeAction a : pendingActions) {
            envelopeAction(tx, a);
        }
        pendingActions.clear();
        publish(new SessionEvent.Mail(meta(), sender, size));
        ok("MAIL", Replies.mailOk());
    }

    private void rcpt(String args) {
        if (tx == null) {
            fail("RCPT", Replies.needMail());
            return;
        }
        MailPath path;
        try {
            path = MailPath.parse(args, "TO", false);
        } catch (MailPath.Invalid e) {
            fail("RCPT", e.reply());
            return;
        }
        if (!path.params().isEmpty()) {
            fail("RCPT", Replies.unsupportedOption(Untrusted.printable(path.words().values().iterator().next(), 60)));
            return;
        }
        String recipient = Untrusted.printable(path.address(), 320);
        // As smtpd's rcpt_cmd: the rate is counted right after the syntax check, so refused
        // relay probes count too.
        LocalAnvil.Exceeded over = services.anvil().recipient(clientAddress, clientIp);
        String scope = "";
        if (over != null) {
            limitHit(over);
        } else {
            ClusterVerdicts.Match cluster = clusterLimit(Verdict.RECIPIENT_RATE);
            if (cluster != null) {
                over = clusterLimitHit(cluster);
                scope = CLUSTER_WIDE;
            }
        }
        if (over != null) {
            services.log().smtpd("warning: Recipient address rate limit exceeded: " + over.value()
                    + " from " + clientLog + " for service smtp" + scope);
            reject("RCPT", Replies.tooManyRecipientsFrom(clientIp), over.parameter(), tx.sender, recipient);
            return;
        }
        if (tx.recipients >= settings.recipientLimit()) {
            // Postfix answers 452 but counts it neither as an error nor as a failed RCPT: the
            // client is meant to send the rest in another transaction.
            limitHit(new LocalAnvil.Exceeded("smtpd_recipient_limit", tx.recipients + 1L, settings.recipientLimit()));
            counts.count("RCPT", true);
            publish(new SessionEvent.Reject(meta(), "RCPT", 452, "4.5.3", "smtpd_recipient_limit",
                    "Error: too many recipients", tx.sender, recipient));
            reply(Replies.tooManyRecipients(), false, "RCPT");
            return;
        }
        if (tx.discard != null) {
            // As Postfix: once DISCARD fired, no restriction runs again in this transaction.
            recipientAccepted(tx, recipient, Replies.rcptOk());
            return;
        }
        Transaction checking = tx;
        prepared(RestrictionEngine.Check.RCPT, facts("RCPT", tx.sender, recipient),
                f -> rcptChecked(f, checking, args, recipient));
    }

    private void rcptChecked(Facts f, Transaction checking, String args, String recipient) {
        if (tx != checking) {
            fail("RCPT", Replies.needMail()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = services.restrictions().rcpt(f, notes("RCPT", tx.sender, recipient));
        if (checked instanceof Outcome.Refusal refused) {
            restrictionReject("RCPT", refused, tx.sender, recipient);
            return;
        }
        if (tx.broken) {
            reject("RCPT", Replies.proxyFailure(), "next-hop", tx.sender, recipient);
            return;
        }
        Transaction t = tx;
        String forwarded = args;
        if (t.discard != null || t.redirect != null && t.redirect.equals(t.redirectSent)) {
            // DISCARD (fired by this RCPT's check): the next hop never hears of it. REDIRECT:
            // the next hop already has the one recipient that replaces all of them.
            recipientAccepted(t, recipient, Replies.rcptOk());
            return;
        }
        if (t.redirect != null) {
            // A (new) REDIRECT target replaces every recipient: the next hop starts over with it alone.
            t.close();
            t.redirectSent = t.redirect;
            forwarded = "TO:<" + t.redirect + ">";
        }
        String rcptArgs = forwarded;
        busy = true;
        proxyFor(t).compose(proxy -> proxy.rcpt(rcptArgs)).onComplete(ar -> {
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            if (ar.failed() && ar.cause() instanceof RefusedByNextHop refused) {
                reject("RCPT", refused.reply, "next-hop", t.sender, recipient);
                return;
            }
            if (ar.failed()) {
                proxyFailed("RCPT", ar.cause(), t.sender, recipient);
                return;
            }
            SmtpReply r = ar.result();
            if (r.isError()) {
                if (t.redirectSent != null && t.recipients > 0) {
                    t.broken = true; // the recipients it replaced are gone from the next hop too
                }
                reject("RCPT", r, "next-hop", t.sender, recipient);
                return;
            }
            recipientAccepted(t, recipient, r);
        });
    }

    private void recipientAccepted(Transaction t, String recipient, SmtpReply r) {
        t.recipients++;
        t.lastRecipient = recipient;
        t.recipientList.add(recipient);
        publish(new SessionEvent.Rcpt(meta(), t.sender, recipient));
        ok("RCPT", r);
    }

    /**
     * Carries out an access table's DISCARD, PREPEND, REDIRECT or BCC for this transaction
     * (the edge's stand-in for cleanup(8), which does it in Postfix).
     */
    private void envelopeAction(Transaction t, EnvelopeAction a) {
        switch (a.kind()) {
            case DISCARD -> {
                if (t.discard == null) {
                    t.discard = a.check();
                    t.close(); // what the next hop has so far is dropped with the connection
                }
            }
            case PREPEND -> t.prepend.add(a.value());
            case REDIRECT -> t.redirect = a.value();
            case BCC -> t.bcc.add(a.value());
        }
    }

    /**
     * The transaction's next-hop connection, opened (with MAIL FROM) on first use. A MAIL that
     * the next hop refuses is answered to this RCPT, as Postfix's proxy does.
     */
    private Future<ProxySession> proxyFor(Transaction t) {
        if (t.proxy != null) {
            return Future.succeededFuture(t.proxy);
        }
        return services.nextHop().open(context).compose(proxy -> proxy.mail(t.mailArgs).compose(r -> {
            if (!r.isPositive()) {
                proxy.close();
                return Future.failedFuture(new RefusedByNextHop(r));
            }
            if (state == State.CLOSED || tx != t) {
                proxy.close();
                return Future.failedFuture(new IllegalStateException("transaction gone"));
            }
            t.proxy = proxy;
            services.log().smtpd("NOQUEUE: client=" + clientLog);
            return Future.succeededFuture(proxy);
        }));
    }

    /** The next hop answered MAIL with a refusal; that reply goes to the client's RCPT. */
    private static final class RefusedByNextHop extends Exception {
        final SmtpReply reply;

        RefusedByNextHop(SmtpReply reply) {
            super(reply.toString(), null, false, false);
            this.reply = reply;
        }
    }

    private void data(String args) {
        if (!args.isEmpty()) {
            fail("DATA", Replies.syntax("DATA"));
            return;
        }
        if (tx == null) {
            fail("DATA", Replies.needRcpt());
            return;
        }
        if (tx.recipients == 0) {
            fail("DATA", Replies.noValidRecipients());
            return;
        }
        Transaction checking = tx;
        prepared(RestrictionEngine.Check.DATA, facts("DATA", tx.sender, null), f -> dataChecked(f, checking));
    }

    private void dataChecked(Facts f, Transaction checking) {
        if (tx != checking) {
            fail("DATA", Replies.needRcpt()); // cannot happen: the session was busy meanwhile
            return;
        }
        Outcome checked = tx.discard != null ? Outcome.DUNNO // DISCARD: no restriction runs again
                : services.restrictions().data(f, notes("DATA", tx.sender, tx.lastRecipient));
        if (checked instanceof Outcome.Refusal refused) {
            restrictionReject("DATA", refused, tx.sender, null);
            return;
        }
        Transaction t = tx;
        if (t.discard != null) {
            // Accepted and dropped: the client sends the message, nobody else sees it.
            publish(new SessionEvent.Data(meta(), t.recipients));
            data = new DataPhase(t);
            state = State.DATA;
            reader.dataMode(true);
            reply(Replies.startData(), false, "DATA");
            return;
        }
        if (tx.broken || tx.proxy == null) {
            reject("DATA", Replies.proxyFailure(), "next-hop", tx.sender, null);
            return;
        }
        busy = true;
        bccRecipients(t).compose(v -> t.proxy.data()).onComplete(ar -> {
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            if (ar.failed()) {
                t.broken = true;
                proxyFailed("DATA", ar.cause(), t.sender, null);
                return;
            }
            SmtpReply r = ar.result();
            if (r.code() != 354) {
                reject("DATA", r, "next-hop", t.sender, null);
                return;
            }
            publish(new SessionEvent.Data(meta(), t.recipients));
            data = new DataPhase(t);
            state = State.DATA;
            reader.dataMode(true);
            reply(Replies.startData(), false, "DATA");
        });
    }

    /** BCC recipients not yet given to the next hop; one it refuses is logged and left out. */
    private Future<Void> bccRecipients(Transaction t) {
        Future<Void> done = Future.succeededFuture();
        for (String b : t.bcc) {
            if (!t.bccSent.add(b)) {
                continue;
            }
            done = done.compose(v -> t.proxy.rcpt("TO:<" + b + ">").map(r -> {
                if (r.isError()) {
                    services.log().smtpd("warning: " + sessionId + ": next hop refused BCC recipient <" + b + ">: "
                            + r.code() + " " + Untrusted.printable(r.text(), LOG_TEXT));
                }
                return null;
            }));
        }
        return done;
    }

    private void rset(String args) {
        if (!args.isEmpty()) {
            fail("RSET", Replies.syntax("RSET"));
            return;
        }
        abortTransaction();
        ok("RSET", Replies.ok());
    }

    private void quit() {
        counts.count("QUIT", true);
        endReason = "quit";
        abortTransaction();
        // The goodbye goes through the tarpit like any reply, as in Postfix.
        reply(Replies.bye(), false, "QUIT");
    }

    private void vrfy(String args) {
        if (settings.disableVrfy()) {
            fail("VRFY", Replies.vrfyDisabled());
            return;
        }
        if (args.isEmpty()) {
            fail("VRFY", Replies.syntax("VRFY address [SMTPUTF8]"));
            return;
        }
        // The edge has no recipient table to consult: "cannot verify, will accept", as
        // Postfix says when it has no recipient verification either.
        String address = args.startsWith("<") && args.endsWith(">") ? args.substring(1, args.length() - 1) : args;
        ok("VRFY", Replies.vrfy(Untrusted.printable(address, 320)));
    }

    private void startTls(String args) {
        if (settings.tls() == null || tls) {
            fail("STARTTLS", tls ? Replies.alreadyTls() : Replies.notImplemented());
            return;
        }
        if (!args.isEmpty()) {
            fail("STARTTLS", Replies.syntax("STARTTLS"));
            return;
        }
        // As Postfix: refused here (454, the session goes on in clear text) once the client's
        // completed handshakes are over the limit; the handshake that crosses it gets a 421.
        LocalAnvil.Exceeded over = services.anvil().newTlsSessionStatus(clientAddress, clientIp);
        if (over != null) {
            limitHit(over);
            tlsRateWarning(over);
            counts.count("STARTTLS", false);
            reply(Replies.tooManyTlsSessions(clientLog), true, "STARTTLS");
            return;
        }
        counts.count("STARTTLS", true);
        // Whatever the client pipelined after STARTTLS arrived in clear text and must not be
        // executed inside the TLS session (CVE-2011-0411 and its kin).
        reader.discardBuffered();
        busy = true;
        tlsPending = true;
        socket.write(Replies.readyToStartTls().toBuffer());
        socket.upgradeToSsl().onComplete(ar -> {
            tlsPending = false;
            reader.discardBuffered();
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            if (ar.failed()) {
                services.log().smtpd("SSL_accept error from " + clientLog + ": " + Untrusted.printable(
                        String.valueOf(ar.cause().getMessage()), LOG_TEXT));
                endReason = "tls-failed";
                close();
                return;
            }
            tls = true;
            LocalAnvil.Exceeded crossed = services.anvil().newTlsSession(clientAddress, clientIp);
            if (crossed != null) {
                limitHit(crossed);
                tlsRateWarning(crossed);
                endReason = "limit";
                reply(Replies.tooManyNewTlsSessions(settings.myhostname(), clientLog), false, "STARTTLS");
                return;
            }
            helo = null;
            heloName = null;
            esmtp = false;
            abortTransaction();
            process();
        });
    }

    private void tlsRateWarning(LocalAnvil.Exceeded over) {
        services.log().smtpd("warning: New TLS session rate limit exceeded: " + over.value() + " from "
                + clientLog + " for service smtp");
    }

    // ------------------------------------------------------------------ DATA

    /** Receives the message, checks its limits, and streams it to the next hop. */
    private final class DataPhase {
        private final Transaction t;
        private Buffer out = Buffer.buffer(4096);
        private boolean atLineStart = true;
        private boolean previousCrlf = true;
        private boolean inHeaders = true;
        private long headerBytes;
        private long size;
        private boolean oversize;
        private boolean bareLf;
        /** Part of the current line was forwarded and its line end not yet. */
        private boolean lineOpen;
        /**
         * With a content check the message is held here whole (dot-unstuffed, as the filter
         * wants it) and nothing goes to the next hop until the verdict; else null and the
         * message streams through {@link #out}.
         */
        private final Buffer held;

        DataPhase(Transaction t) {
            this.t = t;
            // PREPEND headers go above the Received header, as Postfix's smtpd writes them.
            StringBuilder top = new StringBuilder(256);
            for (String h : t.prepend) {
                top.append(h.replace("\r", " ").replace("\n", " ")).append("\r\n");
            }
            top.append(receivedHeader());
            if (services.content().enabled() && t.discard == null) {
                held = Buffer.buffer(8192);
                held.appendString(top.toString());
            } else {
                held = null;
                out.appendString(top.toString());
            }
        }

        void line(LineReader.Line line) {
            // RFC 5321 4.1.1.4: only CR LF . CR LF ends the data. A "." after a bare LF, or
            // followed by a bare LF, is message content (SMTP smuggling defence).
            if (atLineStart && previousCrlf && line.isDot() && line.terminator() == LineReader.Terminator.CRLF) {
                end();
                return;
            }
            if (line.terminator() == LineReader.Terminator.BARE_LF) {
                bareLf = true; // with smtpd_forbid_bare_newline = reject the message is refused at the end
            }
            byte[] bytes = line.bytes();
            int from = 0;
            if (atLineStart && bytes.length > 0 && bytes[0] == '.') {
                from = 1; // remove the client's dot-stuffing; we stuff again below
            }
            size += bytes.length - from + (line.terminator() == LineReader.Terminator.NONE ? 0 : 2);
            if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()
                    || held != null && size > services.content().maxHeld()) {
                oversize = true;
            }
            boolean keep = !oversize;
            if (inHeaders && atLineStart && bytes.length == 0) {
                inHeaders = false;
            } else if (inHeaders) {
                boolean continuation = atLineStart && bytes.length > 0 && (bytes[0] == ' ' || bytes[0] == '\t');
                if (atLineStart && !continuation) {
                    headerBytes = 0;
                }
                headerBytes += bytes.length - from;
                // header_size_limit: Postfix keeps the first part of an overlong header and
                // discards the excess; the message itself is not refused.
                if (headerBytes > settings.headerSizeLimit()) {
                    keep = false;
                }
            }
            boolean ends = line.terminator() != LineReader.Terminator.NONE;
            if (keep) {
                // Held for a content check the message stays dot-unstuffed (the filter wants it
                // so; it is stuffed when forwarded); streamed, it is stuffed here.
                Buffer target = held != null ? held : out;
                if (held == null && atLineStart && bytes.length - from > 0 && bytes[from] == '.') {
                    out.appendByte((byte) '.');
                }
                // A CR inside a line is a bare CR (the reader strips the one before LF). A next
                // hop that took it for a line end could be made to end DATA early and run the
                // rest as commands, so it goes out as a space, as Postfix's smtpd sends it on.
                int start = target.length();
                target.appendBytes(bytes, from, bytes.length - from);
                for (int i = start; i < target.length(); i++) {
                    if (target.getByte(i) == '\r') {
                        target.setByte(i, (byte) ' ');
                    }
                }
                lineOpen = !ends;
                if (ends) {
                    target.appendString("\r\n");
                }
            } else if (ends && lineOpen && !oversize) {
                // The start of this line went out; its end must too, or the trimmed header
                // would swallow the next line (or the final CRLF before the dot).
                (held != null ? held : out).appendString("\r\n");
                lineOpen = false;
            }
            atLineStart = line.terminator() != LineReader.Terminator.NONE;
            previousCrlf = line.terminator() == LineReader.Terminator.CRLF;
            if (held == null && out.length() >= FLUSH_THRESHOLD) {
                flush(false);
            }
        }

        /** Hands gathered output to the next hop, pausing input while it cannot take more. */
        void flush(boolean last) {
            Future<Void> written = write(last);
            if (!written.isComplete()) {
                busy = true;
                written.onComplete(ar -> {
                    // Only this phase's own, still-running write may let input flow again;
                    // after the final dot the session waits for the next hop's verdict.
                    if (state == State.CLOSED || data != this) {
                        return;
                    }
                    busy = false;
                    process();
                });
            }
        }

        /** Hands gathered output to the next hop; the future completes when it can take more. */
        private Future<Void> write(boolean last) {
            if (out.length() == 0 || oversize || t.broken || t.proxy == null) {
                if (oversize || t.broken) {
                    out = Buffer.buffer(0);
                }
                return Future.succeededFuture();
            }
            Buffer chunk = out;
            out = Buffer.buffer(last ? 0 : 4096);
            return t.proxy.write(chunk).recover(e -> {
                t.broken = true;
                return Future.succeededFuture();
            });
        }

        private void end() {
            reader.dataMode(false);
            state = State.COMMAND;
            data = null;
            if (oversize) {
                services.log().smtpd("warning: NOQUEUE: queue file size limit exceeded");
                limitHit(new LocalAnvil.Exceeded("message_size_limit", size, settings.messageSizeLimit()));
                tx = null;
                t.close();
                reject("END-OF-MESSAGE", Replies.messageFileTooBig(), "message_size_limit", t.sender, null);
                return;
            }
            if (bareLf && bareNewlineRejected()) {
                services.log().smtpd("NOQUEUE: reject: END-OF-MESSAGE from " + clientLog + ": bare <LF> received; from=<"
                        + t.sender + "> to=<" + t.lastRecipient + "> proto=" + proto() + " helo=<" + helo() + ">");
                tx = null;
                t.close();
                rejectNoLog("END-OF-MESSAGE", Replies.bareNewline(settings.myhostname()), "smtpd_forbid_bare_newline",
                        t.sender, null);
                return;
            }
            if (t.broken) {
                tx = null;
                t.close();
                proxyFailed("END-OF-MESSAGE", null, t.sender, null);
                return;
            }
            prepared(RestrictionEngine.Check.END_OF_DATA, facts("END-OF-MESSAGE", t.sender, null), this::endChecked);
        }

        private void endChecked(Facts f) {
            Outcome checked = t.discard != null ? Outcome.DUNNO // DISCARD: no restriction runs again
                    : services.restrictions().endOfData(f, notes("END-OF-MESSAGE", t.sender, t.lastRecipient));
            if (checked instanceof Outcome.Refusal refused) {
                tx = null;
                t.close(); // the next hop never gets the final dot: it discards what it has
                restrictionReject("END-OF-MESSAGE", refused, t.sender, null);
                return;
            }
            if (t.discard != null) {
                discarded();
                return;
            }
            if (held != null) {
                checkContent();
                return;
            }
            forward();
        }

        /** An access table's DISCARD: the client hears what a delivery gives, the next hop nothing. */
        private void discarded() {
            tx = null;
            t.close();
            services.log().smtpd("NOQUEUE: discard: END-OF-MESSAGE from " + clientLog + ": message discarded by "
                    + Untrusted.printable(t.discard, 200) + "; from=<" + t.sender + "> to=<" + t.lastRecipient
                    + "> proto=" + proto() + " helo=<" + helo() + ">");
            // The bus hears what happened, as for the content filter's DISCARD.
            publish(new SessionEvent.Reject(meta(), "END-OF-MESSAGE", 250, "2.0.0", t.discard, "DISCARD", t.sender,
                    null));
            counts.count("DATA", true);
            messages++;
            delivered();
            reply(Replies.discardedAsQueued(sessionId), false, "END-OF-MESSAGE");
        }

        /** Sends what is gathered and the final dot; the next hop's answer goes to the client. */
        private void forward() {
            busy = true;
            // The dot goes out only after the last chunk was taken (and never before).
            Future<SmtpReply> done = write(true).compose(v -> t.broken || t.proxy == null
                    ? Future.failedFuture(new IllegalStateException("next hop write failed"))
                    : t.proxy.endData());
            done.onComplete(ar -> {
                tx = null;
                t.close();
                if (state == State.CLOSED) {
                    return;
                }
                busy = false;
                if (ar.failed()) {
                    proxyFailed("END-OF-MESSAGE", ar.cause(), t.sender, null);
                    return;
                }
                SmtpReply r = ar.result();
                String envelope = "from=<" + t.sender + "> to=<" + t.lastRecipient + "> proto=" + proto()
                        + " helo=<" + helo() + ">";
                if (r.isError()) {
                    services.log().smtpd("NOQUEUE: proxy-reject: END-OF-MESSAGE: " + r.code() + " "
                            + Untrusted.printable(r.text(), 200) + "; " + envelope);
                    rejectNoLog("END-OF-MESSAGE", r, "next-hop", t.sender, null);
                    return;
                }
                services.log().smtpd("NOQUEUE: proxy-accept: END-OF-MESSAGE: " + r.code() + " "
                        + Untrusted.printable(r.text(), 200) + "; " + envelope);
                counts.count("DATA", true);
                messages++;
                services.metrics().accepted();
                publish(new SessionEvent.Accepted(meta(), t.sender, t.recipients, size,
                        Untrusted.printable(r.code() + " " + r.text(), 200)));
                delivered();
                reply(r, false, "END-OF-MESSAGE");
            });
        }

        /**
         * Asks the content filter about the held message, then rejects, discards or forwards
         * it (with the filter's edits). The session is busy meanwhile: pipelined input waits.
         */
        private void checkContent() {
            busy = true;
            services.content().client().check(context, held, t.sender, t.recipientList, clientIp,
                    helo == null ? null : helo).onComplete(ar -> {
                        if (state == State.CLOSED) {
                            tx = null;
                            t.close();
                            return;
                        }
                        if (ar.failed()) {
                            contentUnchecked(ar.cause());
                        } else {
                            contentVerdict(ar.result());
                        }
                    });
        }

        private void contentUnchecked(Throwable cause) {
            String why = Untrusted.printable(String.valueOf(cause.getMessage()), LOG_TEXT);
            services.metrics().contentCheck("failed");
            if (services.content().onFailure() == ContentCheck.FailureAction.ACCEPT) {
                services.log().smtpd("warning: " + sessionId + ": content filter failed, message forwarded unchecked"
                        + " (portcullis.content-filter.failure-action = accept): " + why);
                out = ForwardedMessage.dotStuffed(held);
                forward();
                return;
            }
            busy = false;
            tx = null;
            t.close();
            services.log().smtpd("warning: NOQUEUE: content filter failed: " + why);
            reject("END-OF-MESSAGE", Replies.contentFilterUnavailable(), "content-filter", t.sender, null);
        }

        private void contentVerdict(ContentVerdict v) {
            String envelope = "from=<" + t.sender + "> to=<" + t.lastRecipient + "> proto=" + proto() + " helo=<"
                    + helo() + ">";
            ContentVerdict.Fired why = v.deciding();
            String check = why == null || why.checks() == null ? "content-filter" : why.checks();
            String what = why == null || why.line() == null ? "" : (check.startsWith("body") ? "body " : "header ")
                    + Untrusted.printable(why.line(), 200) + " ";
            if (v.rejects() || v.discards()) {
                busy = false;
                tx = null;
                t.close(); // the next hop never gets the final dot: it discards what it has
            }
            if (v.rejects()) {
                services.metrics().contentCheck("reject");
                ContentVerdict.Reply r = v.reply();
                SmtpReply reply = r == null ? Replies.contentRejected()
                        : SmtpReply.of(r.code(), r.status(), r.text() == null ? "" : r.text());
                // cleanup(8)'s words: "reject: header Subject: ... from client; from=<> to=<> ...: 5.7.1 text"
                services.log().smtpd("NOQUEUE: reject: " + what + "from " + clientLog + "; " + envelope + ": "
                        + Untrusted.printable(reply.text(), 200)
                        + (v.rule() == null ? "" : " (" + Untrusted.printable(v.rule(), 200) + ")"));
                rejectNoLog("END-OF-MESSAGE", reply, check, t.sender, null);
                return;
            }
            if (v.discards()) {
                services.metrics().contentCheck("discard");
                services.log().smtpd("NOQUEUE: discard: " + what + "from " + clientLog + "; " + envelope
                        + (v.rule() == null ? "" : " (" + Untrusted.printable(v.rule(), 200) + ")"));
                // The client is told what a delivery tells it (that is DISCARD's point), the
                // bus what happened, so reputation and jails count it as a content verdict.
                publish(new SessionEvent.Reject(meta(), "END-OF-MESSAGE", 250, "2.0.0", check,
                        "DISCARD " + (v.rule() == null ? "" : Untrusted.printable(v.rule(), 200)), t.sender, null));
                counts.count("DATA", true);
                messages++;
                delivered();
                reply(Replies.discardedAsQueued(sessionId), false, "END-OF-MESSAGE");
                return;
            }
            services.metrics().contentCheck(v.edits().isEmpty() && v.addHeaders().isEmpty() ? "accept" : "rewrite");
            List<String> extra = new ArrayList<>();
            if (v.redirect() != null) {
                extra.add("X-Portcullis-Redirect: " + Untrusted.printable(v.redirect(), 320));
            }
            for (String b : v.bcc()) {
                extra.add("X-Portcullis-Bcc: " + Untrusted.printable(b, 320));
            }
            ForwardedMessage.Result result = ForwardedMessage.apply(held, v, extra);
            if (result.dropped() > 0) {
                services.log().smtpd("warning: " + sessionId + ": " + result.dropped()
                        + " content filter edit(s) did not fit the message and were not applied");
            }
            out = ForwardedMessage.dotStuffed(result.message());
            forward();
        }

        private String receivedHeader() {
            String from = helo == null ? "" : helo + " ";
            String with = (esmtp ? "ESMTP" : "SMTP") + (tls ? "S" : "");
            StringBuilder sb = new StringBuilder(200);
            sb.append("Received: from ").append(from).append("(unknown [").append(clientIp).append("])\r\n")
                    .append("\tby ").append(settings.myhostname()).append(" (Portcullis) with ").append(with)
                    .append(" id ").append(sessionId);
            if (t.recipients == 1 && t.lastRecipient != null) {
                sb.append("\r\n\tfor <").append(t.lastRecipient).append(">");
            }
            sb.append("; ").append(java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    java.time.ZonedDateTime.now(services.clock()))).append("\r\n");
            return sb.toString();
        }
    }

    /** A delivered message wipes the slate, as in Postfix (carried errors too). */
    private void delivered() {
        errorCount = 0;
        carriedErrors = 0;
        junkCount = 0;
        if (tarpitted) {
            tarpitted = false;
            services.metrics().tarpittedSessions().decrementAndGet();
        }
    }

    // ------------------------------------------------------------------ replies and the tarpit

    /** A successful reply to a command. */
    private void ok(String verb, SmtpReply r) {
        counts.count(verb, true);
        reply(r, false, verb);
    }

    /** A failed command that is not a policy decision (sequence, syntax). */
    private void fail(String verb, SmtpReply r) {
        counts.count(verb, false);
        error(verb, r);
    }

    private void error(String verb, SmtpReply r) {
        services.metrics().error();
        publish(new SessionEvent.Error(meta(), verb, r.code(), r.enhanced(), Untrusted.printable(r.lines().get(0),
                LOG_TEXT), errorCount + 1));
        reply(r, true, verb);
    }

    /** A policy reject: logged the Postfix way ("NOQUEUE: reject: ..."), counted, published. */
    private void reject(String stage, SmtpReply r, String check, String sender, String recipient) {
        services.log().smtpd("NOQUEUE: reject: " + stage + " from " + clientLog + ": " + r.code() + ' '
                + Untrusted.printable(r.text(), 200) + envelope(sender, recipient));
        rejectNoLog(stage, r, check, sender, recipient);
    }

    /**
     * A refusal by a restriction list: the Postfix log line, then the restriction (and table)
     * that fired as {@code check=<...>}, so that logs and the bus can count by cause.
     */
    private void restrictionReject(String stage, Outcome.Refusal refused, String sender, String recipient) {
        SmtpReply r = refused.reply();
        if (r.closesSession()) {
            endReason = "restriction";
        }
        services.log().smtpd("NOQUEUE: reject: " + stage + " from " + clientLog + ": " + r.code() + ' '
                + Untrusted.printable(r.text(), 200) + envelope(sender, recipient) + " check=<"
                + Untrusted.printable(refused.check(), 200) + ">");
        rejectNoLog(stage, r, refused.check(), sender, recipient);
    }

    /** "; from=<s> to=<r> proto=ESMTP helo=<h>" as Postfix ends its reject lines. */
    private String envelope(String sender, String recipient) {
        StringBuilder line = new StringBuilder(120).append("; from=<").append(sender == null ? "" : sender).append('>');
        if (recipient != null) {
            line.append(" to=<").append(recipient).append('>');
        }
        return line.append(" proto=").append(proto()).append(" helo=<").append(helo()).append('>').toString();
    }

    /** What the restrictions see now; pipelined = the client sent more than this command. */
    private Facts facts(String command, String sender, String recipient) {
        return new Facts(clientAddress, clientLog, heloName, esmtp, sender, recipient, illegalPipelining, command,
                clientName, DnsAnswers.NONE);
    }

    /**
     * Runs the DNS lookups the check at {@code check} needs ({@link RestrictionEngine#prepare}),
     * then {@code then} with the facts to evaluate, on this session's event loop. Without
     * lookups that is right now; with them the session is busy meanwhile (pipelined input
     * waits in the reader) and the lookups are bounded by the resolver's timeout and attempts,
     * so the session never hangs and the event loop never blocks.
     */
    private void prepared(RestrictionEngine.Check check, Facts facts, Consumer<Facts> then) {
        CompletableFuture<Facts> ready = services.restrictions().prepare(check, facts);
        if (ready.isDone()) {
            then.accept(adopt(ready.getNow(facts)));
            return;
        }
        busy = true;
        ready.whenComplete((f, e) -> contextRun(() -> {
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            then.accept(adopt(e == null ? f : facts));
            process();
        }));
    }

    /** Keeps the client's names once looked up: later checks reuse them and log lines show them. */
    private Facts adopt(Facts f) {
        if (clientName == null && f.clientName() != null) {
            clientName = f.clientName();
            clientLog = f.namaddr();
        }
        return f;
    }

    /** Log lines for WARN, INFO, reject_warning and table warnings, in Postfix's words. */
    private Notes notes(String stage, String sender, String recipient) {
        return new Notes() {
            @Override
            public void action(String action, String text) {
                services.log().smtpd("NOQUEUE: " + action + ": " + stage + " from " + clientLog + ": "
                        + Untrusted.printable(text, 200) + envelope(sender, recipient));
            }

            @Override
            public void warning(String text) {
                services.log().smtpd("warning: " + Untrusted.printable(text, 300));
            }

            @Override
            public void honour(EnvelopeAction action) {
                if (tx != null) {
                    envelopeAction(tx, action);
                } else if (stage.equals("MAIL")) {
                    pendingActions.add(action); // for the transaction this MAIL opens
                } else {
                    services.log().smtpd("warning: " + Untrusted.printable(action.check(), 200) + ": action "
                            + action.kind() + " outside a mail transaction is ignored (smtpd_delay_reject = no)");
                }
            }
        };
    }

    private void rejectNoLog(String stage, SmtpReply r, String check, String sender, String recipient) {
        counts.count(stage.equals("END-OF-MESSAGE") ? "DATA" : stage, false);
        services.metrics().reject(r.code(), check);
        publish(new SessionEvent.Reject(meta(), stage, r.code(), r.enhanced(), check,
                Untrusted.printable(r.lines().get(0), LOG_TEXT), sender, recipient));
        reply(r, true, stage);
    }

    private void proxyFailed(String stage, Throwable cause, String sender, String recipient) {
        services.log().smtpd("warning: next hop failure after " + stage + " from " + clientLog + ": "
                + Untrusted.printable(cause == null ? "write failed" : String.valueOf(cause.getMessage()), LOG_TEXT));
        if (tx != null && tx.recipients == 0) {
            tx.close(); // nothing accepted yet: the next RCPT may try the next hop again
        } else if (tx != null && !"END-OF-MESSAGE".equals(stage)) {
            // Recipients were accepted: keep the transaction so that DATA gets a 4xx (the
            // client retries them) rather than "need RCPT", which would bounce them.
            tx.broken = true;
            tx.close();
        } else {
            abortTransaction();
        }
        reject(stage, Replies.proxyFailure(), "next-hop", sender, recipient);
    }

    /**
     * Sends a reply, after the tarpit delay when the session has made enough errors, then
     * counts the error and enforces the hard limit. The delay is a timer: the session is
     * marked busy and its pipelined input waits.
     */
    private void reply(SmtpReply r, boolean isError, String stage) {
        // Postfix sleeps before every reply line it sends, so a tarpitted EHLO waits once
        // per line; the same here, in one timer.
        Duration delay = services.tarpit().delay(errorCount).multipliedBy(r.lines().size());
        if (isError) {
            errorCount++;
        }
        if (delay.isZero()) {
            afterDelay(r, stage);
            return;
        }
        if (!tarpitted) {
            tarpitted = true;
            services.metrics().tarpittedSessions().incrementAndGet();
        }
        services.metrics().tarpitDelay();
        publish(new SessionEvent.Tarpit(meta(), delay.toMillis(), errorCount));
        busy = true;
        cancelIdleTimer();
        services.vertx().setTimer(Math.max(1, delay.toMillis()), id -> {
            if (state == State.CLOSED) {
                return;
            }
            busy = false;
            afterDelay(r, stage);
        });
    }

    private void afterDelay(SmtpReply r, String stage) {
        sendNow(r);
        if (r.closesSession() || endsSession(endReason)) {
            close();
            return;
        }
        if (state == State.COMMAND && services.tarpit().overHardLimit(errorCount)) {
            services.log().smtpd("too many errors after " + stage + " from " + clientLog);
            endReason = "too-many-errors";
            limitHit(new LocalAnvil.Exceeded("smtpd_hard_error_limit", errorCount,
                    services.tarpit().hardLimit()));
            SmtpReply bye = Replies.tooManyErrors(settings.myhostname());
            Duration delay = services.tarpit().delay(errorCount);
            busy = true;
            Runnable send = () -> {
                sendNow(bye);
                close();
            };
            if (delay.isZero()) {
                send.run();
            } else {
                services.vertx().setTimer(delay.toMillis(), id -> {
                    if (state != State.CLOSED) {
                        send.run();
                    }
                });
            }
            return;
        }
        armIdleTimer();
        // A reply that completed an asynchronous step (next hop, tarpit timer) frees the
        // session: go on with input the client pipelined meanwhile.
        process();
    }

    /** Session ends that close the connection once their reply is out. */
    private static boolean endsSession(String reason) {
        return "quit".equals(reason) || "non-smtp".equals(reason) || "bare-newline".equals(reason);
    }

    private void sendNow(SmtpReply r) {
        if (state != State.CLOSED) {
            socket.write(r.toBuffer());
        }
    }

    // ------------------------------------------------------------------ helpers

    private boolean bareNewlineRejected() {
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
        reply(Replies.bareNewline(settings.myhostname()), true, lastCommand); // tarpitted, then closed
    }

    private void limitHit(LocalAnvil.Exceeded over) {
        services.metrics().limit(over.parameter());
        publish(new SessionEvent.Limit(meta(), over.parameter(), over.value(), over.limit()));
    }

    /** A cluster-wide anvil verdict in force for this client, or null (also for exempt clients). */
    private ClusterVerdicts.Match clusterLimit(String limit) {
        return anvilExempt ? null : services.verdicts().find(clientAddress, limit);
    }

    /**
     * Counts and publishes a refusal by a cluster verdict (a LIMIT event with the verdict's
     * value and configured limit, as for a local one); returns it as a limit hit.
     */
    private LocalAnvil.Exceeded clusterLimitHit(ClusterVerdicts.Match cluster) {
        Verdict.Entry e = cluster.entry();
        LocalAnvil.Exceeded over = new LocalAnvil.Exceeded(e.limit(), e.value(), e.configured());
        services.metrics().clusterRefusal(e.limit());
        limitHit(over);
        return over;
    }

    /**
     * Errors carried over from the client's earlier sessions (on any edge): the session starts
     * with them, capped one below {@code smtpd_hard_error_limit} so that it still gets to make
     * one more error before the 421. Postfix's error limits apply to every client, so this
     * does too.
     */
    private void carryErrors() {
        ClusterVerdicts.Match carried = services.verdicts().find(clientAddress, Verdict.CARRIED_ERRORS);
        if (carried == null || carried.entry().value() <= 0) {
            return;
        }
        int cap = Math.max(0, services.tarpit().hardLimit() - 1);
        carriedErrors = (int) Math.min(carried.entry().value(), cap);
        errorCount = carriedErrors;
        services.metrics().carriedErrors();
    }

    private void abortTransaction() {
        if (tx != null) {
            tx.close();
            tx = null;
        }
        if (data != null) {
            data = null;
            reader.dataMode(false);
        }
    }

    /**
     * smtpd_timeout counts from the client's last input or our last reply. Input only
     * records the time; one timer re-checks it when due, so a message of many lines does not
     * cost a timer per line.
     */
    private void armIdleTimer() {
        lastActivityNanos = System.nanoTime();
        if (idleTimer >= 0 || state == State.CLOSED || state == State.CLOSING) {
            return;
        }
        scheduleIdleCheck(settings.smtpdTimeout().toMillis());
    }

    private void scheduleIdleCheck(long delayMillis) {
        idleTimer = services.vertx().setTimer(Math.max(1, delayMillis), id -> {
            idleTimer = -1;
            if (state != State.COMMAND && state != State.DATA) {
                return;
            }
            long idle = Duration.ofNanos(System.nanoTime() - lastActivityNanos).toMillis();
            long timeout = settings.smtpdTimeout().toMillis();
            // Waiting on the tarpit or the next hop is our time, not the client's; but nothing
            // we wait for takes longer than the next hop's timeout, so busy is not for ever.
            long busyCap = 2 * timeout + settings.proxyTimeout().toMillis();
            if (idle < timeout || (busy && idle < busyCap)) {
                scheduleIdleCheck(busy ? Math.min(timeout, busyCap - idle) : timeout - idle);
                return;
            }
            services.log().smtpd("timeout after " + stageForLog() + " from " + clientLog);
            endReason = "timeout";
            sendNow(Replies.timeout(settings.myhostname()));
            close();
        });
    }

    private void cancelIdleTimer() {
        if (idleTimer >= 0) {
            services.vertx().cancelTimer(idleTimer);
            idleTimer = -1;
        }
    }


    /** "DATA (1234 bytes)" while receiving a message, as Postfix logs it; else the last command. */
    private String stageForLog() {
        return data != null ? "DATA (" + data.size + " bytes)" : lastCommand;
    }

    private String proto() {
        return esmtp ? "ESMTP" : "SMTP";
    }

    private String helo() {
        return helo == null ? "" : helo;
    }

    private void publish(SessionEvent event) {
        services.events().accept(event);
    }

    private dev.portcullis.events.EventMeta meta() {
        return services.meta(sessionId, clientIp);
    }
}
