package io.tributary.server.playground;

import io.tributary.server.mixture.MixtureLoader;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** What the playground offers beside the pages: the served mixture's example questions. */
@Configuration(proxyBeanMethods = false)
class PlaygroundConfiguration {

    @Bean
    PlaygroundExamples playgroundExamples(MixtureLoader.Checked mixture) {
        return PlaygroundExamples.beside(mixture.manifestFile());
    }
}
