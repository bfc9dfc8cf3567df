package dev.portcullis.content;

import dev.portcullis.content.rules.RuleBook;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the tables loaded (the service does not start otherwise). A table whose newest
 * version failed to load keeps the service ready - its last good rules are in force - and
 * the error is in the check's data, as in {@code GET /api/v1/rules}.
 */
@Readiness
@ApplicationScoped
public class ContentHealth implements HealthCheck {

    @Inject
    RuleBook rules;

    @Override
    public HealthCheckResponse call() {
        RuleBook.Status s = rules.status();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("content-rules").up()
                .withData("tables", s.tables().size())
                .withData("reloads", s.reloads())
                .withData("reloadFailures", s.failures())
                .withData("lastCheck", String.valueOf(s.lastCheck()));
        for (RuleBook.TableStatus t : s.tables()) {
            if (t.error() != null) {
                b.withData("error " + t.name(), t.error());
            }
        }
        return b.build();
    }
}
