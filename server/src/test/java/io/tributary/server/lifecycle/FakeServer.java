package io.tributary.server.lifecycle;

import io.tributary.server.TributaryApplication;
import io.tributary.server.mixture.ServedModel;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

import java.util.stream.Stream;

/**
 * The whole application on a fake mixture, started outside the test framework's context cache, so that a test may
 * shut it down (the cache would try to resume a context it finds closed).
 */
final class FakeServer {

    private FakeServer() {}

    static ConfigurableApplicationContext start(ServedModel model, String... properties) {
        // Arguments, not default properties: application.yml's values (server.port among them) win over defaults.
        String[] arguments = Stream.concat(Stream.of("server.port=0"), Stream.of(properties))
                .map(property -> "--" + property)
                .toArray(String[]::new);
        return new SpringApplicationBuilder(TributaryApplication.class)
                .properties("spring.main.banner-mode=off", "spring.main.allow-bean-definition-overriding=true")
                // A definition registered before the configuration classes are read overrides theirs: no expert loads.
                .initializers(context -> ((GenericApplicationContext) context)
                        .registerBean("servedModel", ServedModel.class, () -> model))
                .run(arguments);
    }

    static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }
}
