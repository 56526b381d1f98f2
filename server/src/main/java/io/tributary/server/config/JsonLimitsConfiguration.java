package io.tributary.server.config;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON parser's own limits follow the request body limit. Jackson refuses a string longer than 100 million
 * characters by default ({@link StreamReadConstraints}), and an {@code inputs} carrying the default eight images of
 * 20 MiB, base64-encoded, is about 224 million: a request within every documented limit would fail as "not JSON".
 * A string cannot hold more characters than the body has bytes, so the body limit bounds it instead.
 */
@Configuration(proxyBeanMethods = false)
class JsonLimitsConfiguration {

    /** Spring Boot's mapper builder, with every customizer it would apply, on a factory with these limits. */
    @Bean
    @Scope("prototype")
    JsonMapper.Builder jsonMapperBuilder(
            ObjectProvider<JsonMapperBuilderCustomizer> customizers, TributaryProperties properties) {
        JsonMapper.Builder builder = JsonMapper.builder(JsonFactory.builder()
                .streamReadConstraints(constraints(properties.limits()))
                .build());
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder;
    }

    static StreamReadConstraints constraints(TributaryProperties.Limits limits) {
        long longest = Math.max(limits.requestBytesLimit(), StreamReadConstraints.DEFAULT_MAX_STRING_LEN);
        return StreamReadConstraints.builder()
                .maxStringLength((int) Math.min(longest, Integer.MAX_VALUE - 16)) // Java's largest array, about
                .build();
    }
}
