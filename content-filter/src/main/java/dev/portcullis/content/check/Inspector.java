package dev.portcullis.content.check;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;
import org.apache.james.mime4j.util.ByteSequence;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Runs header_checks, mime_header_checks, nested_header_checks and body_checks over one
 * message the way Postfix's cleanup(8) does, with Apache James mime4j's streaming parser
 * ({@link MimeTokenStream}) finding the structure.
 *
 * <p>What each table sees, as Postfix 3.7 presents it (each point was checked against the
 * real Postfix with WARN rules that log every lookup key):
 * <ul>
 * <li>A header is looked up once, as one logical header: "Name: value" with its folding
 * kept as a newline followed by the continuation's leading white space ("Subject: a\n  b");
 * carriage returns are removed, and the key is cut at header_size_limit bytes.</li>
 * <li>Headers of the primary message go to header_checks; the six MIME headers go to
 * mime_header_checks wherever they are; every header of a multipart body part goes to
 * mime_header_checks; the other headers of an attached message/rfc822 go to
 * nested_header_checks. A line that is not a header ends the header section and is a body
 * line.</li>
 * <li>Body lines are looked up one physical line at a time, without the line end. Preamble,
 * epilogue and the boundary lines themselves are body lines; part headers are not. Empty
 * lines are never looked up. Only the first body_checks_size_limit bytes of each body
 * segment are inspected: a segment starts after each header section and after a closing
 * boundary, and an opening boundary line counts toward the segment before it.</li>
 * <li>Lookup keys are C strings in Postfix: a key is cut at its first NUL byte.</li>
 * <li>Content is not decoded: base64 and quoted-printable parts are inspected as sent.</li>
 * <li>With disable_mime_input_processing, everything after the primary header is body
 * (MIME headers of the primary header still go to mime_header_checks).</li>
 * </ul>
 *
 * <p>Rewrites (IGNORE, STRIP, PREPEND, REPLACE) are returned as byte ranges of the original
 * message. Every header and body block mime4j reports is located in the original bytes by a
 * forward scan that must land on a line start, so each edit covers exactly the bytes of its
 * line; a line that cannot be placed (it would only happen for content mime4j decoded) is
 * still inspected, but its rewrite is counted in {@link Verdict.Stats#editsDropped()} and
 * not applied.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Inspector {

    /** Postfix header_opts.c: the headers with HDR_OPT_MIME. */
    static final Set<String> MIME_HEADERS = Set.of("content-type", "content-transfer-encoding",
            "content-disposition", "content-description", "content-id", "mime-version");

    /** How far ahead of the cursor a block may start (boundary lines, separators). */
    private static final int SCAN_WINDOW = 64 * 1024;


    /** Postfix's line_length_limit default: smtpd hands cleanup long lines in records this long. */
    static final int LINE_LENGTH_LIMIT = 2048;

    /** Longest prefix of a message line that goes into a verdict or a log (Postfix logs "%.200s"). */
    static final int MAX_QUOTED = 200;

    /**
     * @param headerSizeLimit     header_size_limit: longer headers are looked up cut to this
     * @param bodyChecksSizeLimit body_checks_size_limit: bytes of each body segment inspected (0 = all)
     * @param mimeDisabled        disable_mime_input_processing
     */
    public record Limits(int headerSizeLimit, long bodyChecksSizeLimit, boolean mimeDisabled) {
        /** Postfix's defaults: 102400, 51200, no. */
        public static final Limits POSTFIX = new Limits(102400, 51200, false);
    }

    private final Limits limits;

    public Inspector(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Inspects {@code message} (the DATA content, dot-unstuffed) with {@code rules}. */
    public Verdict inspect(byte[] message, RuleSet rules) {
        Run run = new Run(message, rules);
        try {
            run.walk();
        } catch (IOException e) {
            // A ByteArrayInputStream does not fail; mime4j wraps its own problems in MimeException.
            throw new UncheckedIOException(e);
        } catch (MimeException e) {
            run.mimeErrors++;
        }
        return run.verdict();
    }

    private enum Entity { MESSAGE, PART }

    /** Marks a multipart whose closing delimiter was already seen (a boundary is never empty). */
    private static final String CLOSED = "";

    private static final int NOT_YET = -1;
    private static final int DONE = -2;

    /** The rule named by the edit that adds the missing blank line after the headers. */
    static final String SEPARATOR_RULE = "cleanup: blank line between headers and body";

    /** The state of one inspection. */
    private final class Run {
        final byte[] msg;
        final RuleSet rules;
        int pos;
        long segment;
        boolean stopped;
        Verdict.Decision decision = Verdict.Decision.ACCEPT;
        Action.Reply reply;
        String rule;
        String hold;
        String holdRule;
        String filter;
        String redirect;
        final List<String> bcc = new ArrayList<>();
        final List<Verdict.Edit> edits = new ArrayList<>();
        final List<Verdict.Fired> fired = new ArrayList<>();
        long headers;
        long bodyLines;
        long bodySkipped;
        long truncated;
        long editsDropped;
        long mimeErrors;
        int messages;
        /** Where the primary header section ended, to see if a blank line followed it. */
        int primaryHeaderEnd = NOT_YET;

        Run(byte[] msg, RuleSet rules) {
            this.msg = msg;
            this.rules = rules;
        }

        void walk() throws IOException, MimeException {
            MimeConfig config = new MimeConfig.Builder()
                    .setMaxLineLen(-1)
                    .setMaxHeaderLen(-1)
                    .setMaxHeaderCount(-1)
                    .setMaxContentLen(-1)
                    .setMalformedHeaderStartsBody(true)
                    .setStrictParsing(false)
                    .build();
            DecodeMonitor monitor = new DecodeMonitor() {
                @Override
                public boolean warn(String error, String dropDesc) {
                    mimeErrors++;
                    return false;
                }

                @Override
                public boolean isListening() {
                    return true;
                }
            };
            // null: mime4j's own body descriptor builder (reports through the monitor)
            MimeTokenStream stream = new MimeTokenStream(config, monitor, null);
            if (limits.mimeDisabled()) {
                stream.setRecursionMode(RecursionMode.M_FLAT);
            }
            stream.parse(new ByteArrayInputStream(msg));
            Deque<Entity> entities = new ArrayDeque<>();
            Deque<String> boundaries = new ArrayDeque<>();
            for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM && !stopped;
                 state = stream.next()) {
                switch (state) {
                    case T_START_MESSAGE -> {
                        entities.push(Entity.MESSAGE);
                        messages++;
                    }
                    case T_START_BODYPART -> {
                        String b = boundaries.peek();
                        if (b != null && !b.equals(CLOSED)) {
                            boundaryLine("--" + b, false);
                        }
                        entities.push(Entity.PART);
                    }
                    case T_END_MESSAGE, T_END_BODYPART -> entities.poll();
                    case T_FIELD -> header(stream.getField(), classify(entities, stream.getField()));
                    case T_END_HEADER -> {
                        segment = 0;
                        if (primaryHeaderEnd == NOT_YET) {
                            primaryHeaderEnd = pos;
                        }
                    }
                    case T_START_MULTIPART -> {
                        String b = stream.getBodyDescriptor().getBoundary();
                        boundaries.push(b == null ? CLOSED : b);
                    }
                    case T_EPILOGUE -> {
                        // mime4j reports the epilogue before the end of the multipart: the
                        // closing delimiter comes first in the message, so look it up first.
                        closeMultipart(boundaries.poll());
                        boundaries.push(CLOSED);
                        body(stream.getInputStream());
                    }
                    case T_END_MULTIPART -> closeMultipart(boundaries.poll());
                    case T_PREAMBLE, T_BODY -> body(stream.getInputStream());
                    default -> {
                    }
                }
            }
        }

        private void closeMultipart(String boundary) {
            if (boundary != null && !boundary.equals(CLOSED)) {
                boundaryLine("--" + boundary + "--", true);
            }
        }

        private Checks classify(Deque<Entity> entities, Field field) {
            String name = field.getName().strip().toLowerCase(Locale.ROOT);
            if (MIME_HEADERS.contains(name)) {
                return Checks.MIME;
            }
            Entity top = entities.peek();
            if (top == Entity.PART) {
                return Checks.MIME;
            }
            // The primary message is the outermost entity; any MESSAGE under it is attached.
            return entities.size() <= 1 ? Checks.HEADER : Checks.NESTED;
        }

        private void header(Field field, Checks checks) {
            ByteSequence raw = field.getRaw();
            byte[] bytes = raw == null ? (field.getName() + ": " + field.getBody()).getBytes(StandardCharsets.UTF_8)
                    : raw.toByteArray();
            int len = bytes.length;
            while (len > 0 && (bytes[len - 1] == '\n' || bytes[len - 1] == '\r')) {
                len--;
            }
            int start = locate(bytes, len);
            int lineLength = start < 0 ? -1 : lineEnd(start + len) - start;
            if (start >= 0) {
                pos = start + lineLength;
            }
            headers++;
            if (rules.isEmpty(checks) || stopped) {
                return;
            }
            String key = headerKey(bytes, len);
            lookup(checks, key, start, lineLength);
        }

        /**
         * The lookup key of one logical header, as cleanup builds it: each physical line
         * without its CR, joined by "\n", arriving in records of at most line_length_limit
         * bytes; a record is kept only while the header is still shorter than
         * header_size_limit (so the key can exceed the limit by up to one record, as Postfix's
         * does), the rest is dropped. A NUL ends the key (C string).
         */
        private String headerKey(byte[] bytes, int len) {
            byte[] out = new byte[len];
            int n = 0;
            int lineStart = 0;
            boolean cut = false;
            while (lineStart < len && !cut) {
                int nl = indexOf(bytes, (byte) '\n', lineStart, len);
                int lineEnd = nl < 0 ? len : nl;
                int contentEnd = lineEnd > lineStart && bytes[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
                if (lineStart > 0) {
                    if (n >= limits.headerSizeLimit()) {
                        cut = true;
                        break;
                    }
                    out[n++] = '\n';
                }
                for (int r = lineStart; r < contentEnd; r += LINE_LENGTH_LIMIT) {
                    if (r > lineStart && n >= limits.headerSizeLimit()) {
                        cut = true;
                        break;
                    }
                    int pieceEnd = Math.min(contentEnd, r + LINE_LENGTH_LIMIT);
                    System.arraycopy(bytes, r, out, n, pieceEnd - r);
                    n += pieceEnd - r;
                }
                lineStart = lineEnd + 1;
            }
            if (cut) {
                truncated++;
            }
            int nul = indexOf(out, (byte) 0, 0, n);
            return new String(out, 0, nul < 0 ? n : nul, StandardCharsets.UTF_8);
        }

        private void body(InputStream in) throws IOException {
            byte[] block = in.readAllBytes();
            if (block.length == 0) {
                return;
            }
            int firstLineEnd = indexOf(block, (byte) '\n', 0, block.length);
            int firstLen = firstLineEnd < 0 ? block.length : firstLineEnd;
            int base = locate(block, firstLen);
            if (base >= 0 && !regionMatches(base, block, block.length)) {
                block = recover(block, base, firstLineEnd);
            }
            if (primaryHeaderEnd >= 0) {
                // A header section ended by a line that is not a header: cleanup(8) puts a
                // blank line in front of it, so the next hop sees it as body too.
                if (base > 0 && base == primaryHeaderEnd) {
                    edits.add(new Verdict.Edit(Verdict.Edit.Kind.PREPEND, base, 0, "", SEPARATOR_RULE));
                }
                primaryHeaderEnd = DONE;
            }
            if (base >= 0) {
                pos = Math.min(msg.length, base + block.length);
            }
            int i = 0;
            while (i < block.length && !stopped) {
                int nl = indexOf(block, (byte) '\n', i, block.length);
                int end = nl < 0 ? block.length : nl;
                int contentEnd = end > i && block[end - 1] == '\r' ? end - 1 : end;
                int next = nl < 0 ? block.length : nl + 1;
                bodyLine(block, i, contentEnd, base < 0 ? -1 : base + i, next - i);
                i = next;
            }
        }

        /**
         * mime4j ends a header section at a line that is not a header (as Postfix does) but
         * then drops the header lines between it and the blank line. The rest of its block is
         * verbatim in the message: take the original bytes from the block start to the end of
         * that rest, so the dropped lines are inspected as the body lines Postfix sees.
         */
        private byte[] recover(byte[] block, int base, int firstLineEnd) {
            mimeErrors++;
            if (firstLineEnd < 0 || firstLineEnd + 1 >= block.length) {
                return block;
            }
            // The rest starts with the blank line that ended the header section: the first
            // blank line after the malformed one. One comparison, so no input makes this slow.
            int tailFrom = firstLineEnd + 1;
            int tailLen = block.length - tailFrom;
            for (int i = lineEnd(base); i < msg.length; i = lineEnd(i)) {
                if (msg[i] == '\n' || (msg[i] == '\r' && i + 1 < msg.length && msg[i + 1] == '\n')) {
                    if (i + tailLen <= msg.length && java.util.Arrays.equals(msg, i, i + tailLen, block, tailFrom,
                            block.length)) {
                        return java.util.Arrays.copyOfRange(msg, base, i + tailLen);
                    }
                    return block;
                }
            }
            return block;
        }

        /** An opening or closing MIME boundary line, looked up as a body line. */
        private void boundaryLine(String delimiter, boolean closing) {
            byte[] d = delimiter.getBytes(StandardCharsets.ISO_8859_1);
            int start = findLinePrefix(d);
            if (start < 0) {
                mimeErrors++;
                return;
            }
            int end = lineEnd(start);
            int contentEnd = end;
            while (contentEnd > start && (msg[contentEnd - 1] == '\n' || msg[contentEnd - 1] == '\r')) {
                contentEnd--;
            }
            pos = end;
            if (closing) {
                // The closing delimiter opens the epilogue segment (Postfix's mime_state).
                segment = 0;
            }
            bodyLine(msg, start, contentEnd, start, end - start);
        }

        private void bodyLine(byte[] buf, int from, int to, int origStart, int origLength) {
            long offset = segment;
            segment += (to - from) + 1;
            if (stopped || to == from || rules.isEmpty(Checks.BODY)) {
                return;
            }
            if (limits.bodyChecksSizeLimit() > 0 && offset >= limits.bodyChecksSizeLimit()) {
                bodySkipped++;
                return;
            }
            bodyLines++;
            int cut = cutAtNul(buf, from, to);
            if (cut == from) {
                return;
            }
            lookup(Checks.BODY, new String(buf, from, cut - from, StandardCharsets.UTF_8), origStart, origLength);
        }

        private void lookup(Checks checks, String key, int start, int length) {
            Optional<Table.Match> match = rules.find(checks, key);
            if (match.isEmpty()) {
                return;
            }
            Table.Match m = match.get();
            Action a = Action.parse(m.value(), checks.isHeader());
            String quoted = quote(key);
            String problem = a.problem();
            if (problem == null && start < 0 && isEdit(a.kind())) {
                problem = "the line could not be placed in the original message; not rewritten";
                editsDropped++;
            }
            if (a.kind() == ActionKind.UNKNOWN) {
                problem = "unknown command in " + checks.parameter() + " map: " + quoteValue(m.value());
            }
            fired.add(new Verdict.Fired(a.kind(), checks.parameter(), m.origin(), quoted, a.text(), problem));
            if (problem != null) {
                return;
            }
            switch (a.kind()) {
                case REJECT -> {
                    decision = Verdict.Decision.REJECT;
                    reply = a.reply();
                    rule = m.origin();
                    stopped = true;
                }
                case DISCARD -> {
                    decision = Verdict.Decision.DISCARD;
                    rule = m.origin();
                    stopped = true;
                }
                case PASS -> stopped = true;
                case HOLD -> {
                    if (hold == null) {
                        hold = a.text();
                        holdRule = m.origin();
                    }
                }
                case IGNORE, STRIP -> edits.add(new Verdict.Edit(Verdict.Edit.Kind.DELETE, start, length, null,
                        m.origin()));
                case PREPEND -> edits.add(new Verdict.Edit(Verdict.Edit.Kind.PREPEND, start, 0, a.text(),
                        m.origin()));
                case REPLACE -> edits.add(new Verdict.Edit(Verdict.Edit.Kind.REPLACE, start, length, a.text(),
                        m.origin()));
                case FILTER -> filter = a.text();
                case REDIRECT -> redirect = a.text();
                case BCC -> bcc.add(a.text());
                default -> {
                    // WARN, INFO, DUNNO: logged only.
                }
            }
        }

        Verdict verdict() {
            List<String> add = new ArrayList<>();
            if (decision == Verdict.Decision.ACCEPT) {
                if (hold != null) {
                    add.add("X-Portcullis-Hold: " + headerSafe(hold.isEmpty() ? "held by " + holdRule : hold));
                }
                if (filter != null) {
                    add.add("X-Portcullis-Filter: " + headerSafe(filter));
                }
            }
            boolean accepted = decision == Verdict.Decision.ACCEPT;
            return new Verdict(decision, reply, rule, hold, accepted ? filter : null,
                    accepted ? redirect : null, accepted ? bcc : List.of(), add,
                    accepted ? edits : List.of(), fired,
                    new Verdict.Stats(headers, bodyLines, bodySkipped, truncated, editsDropped, mimeErrors));
        }

        /**
         * Where {@code len} bytes of {@code needle} start in the message: at a line start at or
         * after the cursor and followed by a line end (or the end); -1 when not within the
         * scan window.
         */
        private int locate(byte[] needle, int len) {
            if (len == 0) {
                return pos;
            }
            int limit = (int) Math.min((long) msg.length - len, (long) pos + SCAN_WINDOW);
            for (int i = pos; i <= limit; i++) {
                if ((i == 0 || msg[i - 1] == '\n') && regionMatches(i, needle, len)) {
                    int after = i + len;
                    if (after == msg.length || msg[after] == '\n' || msg[after] == '\r') {
                        return i;
                    }
                }
            }
            return -1;
        }

        /** A line at or after the cursor that starts with {@code prefix}; -1 when none in the window. */
        private int findLinePrefix(byte[] prefix) {
            int limit = (int) Math.min((long) msg.length - prefix.length, (long) pos + SCAN_WINDOW);
            for (int i = pos; i <= limit; i++) {
                if ((i == 0 || msg[i - 1] == '\n') && regionMatches(i, prefix, prefix.length)) {
                    return i;
                }
            }
            return -1;
        }

        private boolean regionMatches(int at, byte[] needle, int len) {
            for (int j = 0; j < len; j++) {
                if (msg[at + j] != needle[j]) {
                    return false;
                }
            }
            return true;
        }

        /** The index after the line end at or after {@code from} (or the message end). */
        private int lineEnd(int from) {
            int nl = indexOf(msg, (byte) '\n', from, msg.length);
            return nl < 0 ? msg.length : nl + 1;
        }
    }

    private static boolean isEdit(ActionKind k) {
        return k == ActionKind.IGNORE || k == ActionKind.STRIP || k == ActionKind.PREPEND || k == ActionKind.REPLACE;
    }

    private static int cutAtNul(byte[] b, int from, int to) {
        int nul = indexOf(b, (byte) 0, from, to);
        return nul < 0 ? to : nul;
    }

    private static int indexOf(byte[] b, byte v, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    /** A printable prefix of untrusted text for verdicts and logs. */
    static String quote(String text) {
        int end = Math.min(text.length(), MAX_QUOTED);
        StringBuilder b = new StringBuilder(end + 3);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c != 0x7f && c != 0xfffd ? c : '?');
        }
        if (end < text.length()) {
            b.append("...");
        }
        return b.toString();
    }

    private static String quoteValue(String v) {
        return quote(v);
    }

    /** Header text without line breaks (table text cannot hold them, but be sure). */
    private static String headerSafe(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
