package dev.portcullis.testkit;

import com.sun.net.httpserver.HttpServer;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Stands in for a packaged Quarkus application in {@link QuarkusAppTest}: packed alone into a
 * runner jar, it serves {@code /q/health/ready} on {@code QUARKUS_HTTP_HOST:QUARKUS_HTTP_PORT}
 * (and {@code /env/NAME}, the value of an environment variable), or with {@code FAKE_MODE=fail}
 * exits at once, or with the argument {@code spawn AGENT_JAR} starts one more copy of itself
 * (with the parent-watch agent) as its child, prints the child's pid and waits for ever.
 */
public final class FakeQuarkusMain {

    private FakeQuarkusMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("spawn")) {
            String self = Path.of(FakeQuarkusMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx32m", "-javaagent:" + args[1] + "=" + ProcessHandle.current().pid(), "-jar", self).inheritIO();
            pb.environment().put("QUARKUS_HTTP_PORT", "0");
            Process child = pb.start();
            System.out.println("child " + child.pid());
            System.out.flush();
            new CountDownLatch(1).await();
            return;
        }
        if ("fail".equals(System.getenv("FAKE_MODE"))) {
            System.out.println("fake app failing on purpose");
            System.exit(7);
        }
        String host = System.getenv().getOrDefault("QUARKUS_HTTP_HOST", "127.0.0.1");
        int port = Integer.parseInt(System.getenv().getOrDefault("QUARKUS_HTTP_PORT", "0"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String body;
            int status = 200;
            if (path.equals("/q/health/ready")) {
                body = "{\"status\":\"UP\"}";
            } else if (path.startsWith("/env/")) {
                body = String.valueOf(System.getenv(path.substring(5)));
            } else {
                status = 404;
                body = "no " + path;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        System.out.println("fake app listening on " + host + ":" + server.getAddress().getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("fake app shutting down")));
    }
}
