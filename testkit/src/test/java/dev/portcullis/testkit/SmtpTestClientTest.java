package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testkit.SmtpTestClient.Reply;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs without Postfix: a scripted in-JVM server on 127.0.0.1. */
class SmtpTestClientTest {

    @Test
    void readsMultilineRepliesAndDetectsClose() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(FreePort.LOOPBACK, 0));
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.US_ASCII));
                    out.write("220 test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    String ehlo = in.readLine();
                    out.write("250-test\r\n250-PIPELINING\r\n250 CHUNKING\r\n".getBytes(StandardCharsets.US_ASCII));
                    String quit = in.readLine();
                    out.write("221 2.0.0 Bye\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return ehlo + "|" + quit;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", server.getLocalPort())) {
                assertEquals(new Reply(220, List.of("220 test ESMTP")), c.readReply());
                Reply ehlo = c.command("EHLO me");
                assertEquals(250, ehlo.code());
                assertEquals(List.of("250-test", "250-PIPELINING", "250 CHUNKING"), ehlo.lines());
                assertTrue(ehlo.isMultiline());
                assertEquals("250 CHUNKING", ehlo.lastLine());
                SmtpTestClient.TimedReply bye = c.commandTimed("QUIT");
                assertEquals(221, bye.code());
                assertTrue(bye.millis() >= 0);
                assertTrue(c.awaitClose(Duration.ofSeconds(5)));
                assertThrows(EOFException.class, c::readReply);
            }
            assertEquals("EHLO me|QUIT", received.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void freePortIsFreeAndNotListening() {
        int port = FreePort.find();
        assertTrue(port > 0);
        assertTrue(!FreePort.isListening(port));
        assertTrue(FreePort.listeningInProc(List.of(
                "  sl  local_address rem_address   st tx_queue rx_queue",
                "   0: 0100007F:09DD 00000000:0000 0A 00000000:00000000"), 0x09DD));
    }
}
