package dev.portcullis.edge.content;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import dev.portcullis.edge.protocol.Untrusted;
import jakarta.enterprise.util.TypeLiteral;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The edge's side of the content-filter: at end of DATA, {@code POST /api/v1/check} with the
 * message and its envelope, and the verdict back — without ever blocking an event loop and
 * without letting a slow or dead filter hang a session.
 *
 * <p>Guards (SmallRye Fault Tolerance, programmatic): a timeout on the whole call, and a
 * circuit breaker that, after enough failures in a row of calls, stops calling the filter
 * for {@code breakerDelay} and fails at once, so a filter outage costs clients one timeout
 * each only until the breaker opens. A failure of any kind — refused connection, timeout,
 * open breaker, an HTTP status other than 200, a body that is not a verdict — comes back as
 * a {@link ContentFilterException}; what the session does with it (451 or forward unchecked)
 * is {@code portcullis.content-filter.failure-action}'s business, not this class's.
 *
 * <p>The answer is always delivered on the calling session's Vert.x context.
 */
public final class ContentFilterClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http;
    private final URI base;
    private final String authorization;
    private final TypedGuard<CompletionStage<ContentVerdict>> guard;
    private final AtomicReference<CircuitBreakerState> breaker = new AtomicReference<>(CircuitBreakerState.CLOSED);
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final long timeoutMillis;

    /**
     * @param base          the filter's base URL, e.g. {@code http://content-filter:8083}
     * @param token         its bearer token (null or empty: none sent)
     * @param timeout       the longest a check may take, connect included
     * @param breakerVolume how many recent calls the breaker judges
     * @param breakerDelay  how long an open breaker stays open
     */
    public ContentFilterClient(Vertx vertx, URI base, String token, Duration timeout, int breakerVolume,
                               Duration breakerDelay) {
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new IllegalArgumentException("portcullis.content-filter.url must be http:// or https://, not " + base);
        }
        this.base = base;
        this.authorization = token == null || token.isBlank() ? null : "Bearer " + token;
        this.timeoutMillis = timeout.toMillis();
        this.http = vertx.createHttpClient(new HttpClientOptions()
                .setSsl("https".equals(base.getScheme()))
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(32));
        this.guard = TypedGuard.create(new TypeLiteral<CompletionStage<ContentVerdict>>() { })
                .withDescription("content-filter check")
                .withThreadOffload(false)
                .withTimeout().duration(timeoutMillis, ChronoUnit.MILLIS).done()
                .withCircuitBreaker().requestVolumeThreshold(breakerVolume).failureRatio(0.5)
                .delay(breakerDelay.toMillis(), ChronoUnit.MILLIS).successThreshold(1)
                .onStateChange(breaker::set).done()
                .build();
    }

    /** Checks {@code message}; the future completes on {@code context}. */
    public Future<ContentVerdict> check(Context context, Buffer message, String sender, List<String> recipients,
                                        String clientIp, String helo) {
        calls.incrementAndGet();
        Promise<ContentVerdict> promise = Promise.promise();
        CompletionStage<ContentVerdict> stage;
        try {
            stage = guard.get(() -> call(message, sender, recipients, clientIp, helo));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((verdict, failure) -> context.runOnContext(v -> {
            if (failure == null) {
                promise.complete(verdict);
            } else {
                failures.incrementAndGet();
                promise.fail(failure instanceof ContentFilterException ? failure
                        : new ContentFilterException(describe(failure), failure));
            }
        }));
        return promise.future();
    }

    private CompletionStage<ContentVerdict> call(Buffer message, String sender, List<String> recipients,
                                                 String clientIp, String helo) {
        StringBuilder uri = new StringBuilder(base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", ""))
                .append("/api/v1/check?sender=").append(enc(sender == null ? "" : sender));
        for (String r : recipients) {
            uri.append("&rcpt=").append(enc(r));
        }
        if (clientIp != null) {
            uri.append("&client=").append(enc(clientIp));
        }
        if (helo != null) {
            uri.append("&helo=").append(enc(helo));
        }
        int port = base.getPort() > 0 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(base.getHost()).setPort(port)
                .setURI(uri.toString()).setIdleTimeout(timeoutMillis)
                .putHeader("Content-Type", "message/rfc822").putHeader("Accept", "application/json");
        if (authorization != null) {
            options.putHeader("Authorization", authorization);
        }
        return http.request(options)
                .compose(req -> req.send(message))
                .compose(resp -> resp.body().map(body -> {
                    if (resp.statusCode() != 200) {
                        throw new ContentFilterException("content filter answered HTTP " + resp.statusCode() + ": "
                                + Untrusted.printable(body.toString(StandardCharsets.UTF_8), 200));
                    }
                    try {
                        ContentVerdict v = JSON.readValue(body.getBytes(), ContentVerdict.class);
                        if (v.decision() == null) {
                            throw new ContentFilterException("content filter verdict without a decision");
                        }
                        return v;
                    } catch (java.io.IOException e) {
                        throw new ContentFilterException("content filter answer is not a verdict: " + e.getMessage());
                    }
                }))
                .toCompletionStage();
    }

    public CircuitBreakerState breakerState() {
        return breaker.get();
    }

    public long calls() {
        return calls.get();
    }

    public long failures() {
        return failures.get();
    }

    @Override
    public void close() {
        http.close();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String describe(Throwable t) {
        String name = t.getClass().getSimpleName();
        if (name.contains("CircuitBreakerOpen")) {
            return "content filter circuit breaker open (recent calls failed)";
        }
        if (name.contains("Timeout")) {
            return "content filter did not answer in time";
        }
        return "content filter unreachable: " + Untrusted.printable(String.valueOf(t.getMessage()), 200);
    }
}
