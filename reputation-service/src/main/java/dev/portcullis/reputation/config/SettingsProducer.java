package dev.portcullis.reputation.config;

import dev.portcullis.reputation.counts.ClientStateCodec;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Clock;

/** Makes the checked settings, and what is built from them alone, injectable. */
public class SettingsProducer {

    @Produces
    @Singleton
    ReputationSettings settings() {
        return ReputationSettingsLoader.load(ConfigProvider.getConfig());
    }

    @Produces
    @Singleton
    ClientStateCodec codec(ReputationSettings settings) {
        return new ClientStateCodec(settings.windows());
    }

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
