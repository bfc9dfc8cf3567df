package dev.portcullis.postfix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the configuration files Postfix reads (main.cf, /file/name list patterns) with a size
 * cap and strict UTF-8.
 */
public final class TextFiles {

    /** Larger configuration files are refused rather than read whole. */
    static final int MAX_BYTES = 16 * 1024 * 1024;

    private TextFiles() {
    }

    /** The problem with a file, worded like Postfix's "%m" (strerror). */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Reads {@code file} as UTF-8.
     *
     * @throws IOException when the file cannot be read
     * @throws BadText     when it is too large or not UTF-8
     */
    public static String read(Path file) throws IOException, BadText {
        if (Files.isDirectory(file)) {
            throw new IOException("Is a directory");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        }
        if (bytes.length > MAX_BYTES) {
            throw new BadText(0, "file is larger than " + MAX_BYTES + " bytes");
        }
        return decode(bytes);
    }

    /** Strict UTF-8; a malformed sequence names its line. */
    static String decode(byte[] bytes) throws BadText {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new BadText(line, "invalid UTF-8 byte sequence");
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** Text that is not what a configuration file may hold; line 0 = the whole file. */
    public static final class BadText extends Exception {

        private static final long serialVersionUID = 1L;

        final int line;

        BadText(int line, String problem) {
            super(problem, null, false, false);
            this.line = line;
        }

        /** The offending line, 1-based; 0 for the whole file. */
        public int line() {
            return line;
        }
    }
}
