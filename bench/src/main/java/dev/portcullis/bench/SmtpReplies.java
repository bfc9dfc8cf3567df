package dev.portcullis.bench;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reading SMTP replies from a blocking stream, for the bench clients: bounded lines (2,048
 * bytes), bounded multi-line replies (100 lines), CR LF or bare LF. A reply is returned as its
 * last line, which carries the code and the text that decides (RFC 5321 4.2.1).
 */
final class SmtpReplies {

    private static final int MAX_LINE = 2048;
    private static final int MAX_LINES = 100;

    private SmtpReplies() {
    }

    /** The last line of the next reply; an IOException when the peer closes or sends junk. */
    static String read(InputStream in) throws IOException {
        for (int lines = 0; lines < MAX_LINES; lines++) {
            String line = readLine(in);
            if (line.length() < 3) {
                throw new IOException("short reply: " + line);
            }
            if (line.length() > 3 && line.charAt(3) == '-') {
                continue;
            }
            return line;
        }
        throw new IOException("reply of more than " + MAX_LINES + " lines");
    }

    /** The reply code of a last line ("250 2.1.5 Ok" gives 250), -1 when it is not numeric. */
    static int code(String line) {
        if (line.length() < 3) {
            return -1;
        }
        int c = 0;
        for (int i = 0; i < 3; i++) {
            char ch = line.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            c = c * 10 + (ch - '0');
        }
        return c;
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < MAX_LINE; i++) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the server");
            }
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) b);
        }
        throw new IOException("reply line longer than " + MAX_LINE + " bytes");
    }
}
