package dev.portcullis.content.config;

import dev.portcullis.content.rules.RuleBook;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Clock;

/** Makes the checked settings, and the tables they name, injectable. */
public class SettingsProducer {

    @Produces
    @Singleton
    ContentSettings settings() {
        return ContentSettingsLoader.load(ConfigProvider.getConfig());
    }

    @Produces
    @Singleton
    RuleBook rules(ContentSettings settings) {
        return new RuleBook(settings.tables(), Clock.systemUTC());
    }
}
