package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.ImageLimits;
import io.tributary.server.config.TributaryProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

/** Loads the mixture at start-up: the server only reports ready once every expert is in memory. */
@Configuration(proxyBeanMethods = false)
class MixtureConfiguration {

    @Bean(destroyMethod = "close")
    ServedModel servedModel(TributaryProperties properties) {
        Path manifest = properties.mixture() != null ? properties.mixture()
                : EmbeddedDefaultMixture.ensure(properties.cacheDir());
        TributaryProperties.Engine engine = properties.engine();
        LoadOptions options = new LoadOptions(engine.device(), engine.precision(), engine.weightLoading());
        TributaryProperties.Limits limits = properties.limits();
        MixtureLoader loader = new MixtureLoader(options,
                new ImageLimits(limits.maxImageBytes().toBytes(), limits.maxImagePixels()));
        // Cheapest first: a mistake in the manifest fails before the native engine starts, a missing GPU before
        // any weight is read.
        MixtureLoader.Checked mixture = loader.check(manifest);
        NativeTarget.requireDevice(options);
        NativeTarget.setIntraOpThreads(engine.threads());
        return loader.load(mixture);
    }
}
