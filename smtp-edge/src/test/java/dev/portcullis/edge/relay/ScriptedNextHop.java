package dev.portcullis.edge.relay;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;

/**
 * A tiny scripted SMTP server for what smtp-sink cannot do (garbage, closing mid-DATA,
 * multi-line rejections, unexpected positive replies). Each received line (without CRLF)
 * goes to the script, which answers with {@code socket.write(...)} or does something rude.
 */
final class ScriptedNextHop implements AutoCloseable {

    interface Script {
        /** On accept; the usual thing is to write a banner. Default: stay silent. */
        default void connected(NetSocket socket) {
        }

        void line(NetSocket socket, String line);
    }

    /** Banner and EHLO as a plain server; {@code other} handles everything after EHLO. */
    static Script greeting(Script other) {
        return new Script() {
            @Override
            public void connected(NetSocket socket) {
                socket.write("220 fake ESMTP\r\n");
            }

            @Override
            public void line(NetSocket socket, String line) {
                if (line.startsWith("EHLO ")) {
                    socket.write("250-fake\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
                } else {
                    other.line(socket, line);
                }
            }
        };
    }

    private final NetServer server;
    final AtomicInteger connections = new AtomicInteger();

    ScriptedNextHop(Vertx vertx, Script script) throws Exception {
        server = vertx.createNetServer().connectHandler(socket -> {
            connections.incrementAndGet();
            RecordParser lines = RecordParser.newDelimited("\r\n", buf -> script.line(socket, buf.toString()));
            lines.maxRecordSize(1 << 20);
            socket.handler(lines);
            script.connected(socket);
        });
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    NextHop hop() {
        return new NextHop("127.0.0.1", server.actualPort());
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
