package dev.portcullis.content.config;

import dev.portcullis.content.rules.RuleBook;
import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.postfix.table.TableException;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.time.Clock;

/**
 * Makes the checked settings, and the tables they name, injectable. A bad setting or table
 * stops start-up; its message (file:line: problem) is logged on one line of its own before
 * Quarkus' start-up failure trace.
 */
public class SettingsProducer {

    private static final Logger LOG = Logger.getLogger("dev.portcullis.content");

    @Produces
    @Singleton
    ContentSettings settings() {
        try {
            return ContentSettingsLoader.load(ConfigProvider.getConfig());
        } catch (PostfixConfigException e) {
            LOG.errorf("fatal: %s", e.getMessage());
            throw e;
        }
    }

    @Produces
    @Singleton
    RuleBook rules(ContentSettings settings) {
        try {
            return new RuleBook(settings.tables(), Clock.systemUTC());
        } catch (TableException e) {
            LOG.errorf("fatal: %s", e.getMessage());
            throw e;
        }
    }
}
