package io.tributary.server.chat;

import io.tributary.server.HttpTestClient;
import io.tributary.server.TributaryApplication;
import io.tributary.server.config.InvalidSettingException;
import io.tributary.server.mixture.EmbeddedDefaultMixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code tributary.chat-template} replaces the checkpoints' template, and a broken one stops the start; so does a
 * broken template of the checkpoints' own when nothing replaces it.
 */
class ChatTemplateSettingTest {

    @TempDir
    Path dir;

    @Test
    void theOperatorsTemplateRendersTheChat() throws Exception {
        Path template = Files.writeString(
                dir.resolve("chat.jinja"),
                "{% if messages[0].content == 'who' %}"
                        + "{{ raise_exception('rendered by the operator template') }}{% endif %}"
                        + "{% for m in messages %}{{ m.content }}{% endfor %}");
        try (ConfigurableApplicationContext context = start("--tributary.chat-template=" + template)) {
            HttpTestClient http = new HttpTestClient(
                    ((WebServerApplicationContext) context).getWebServer().getPort());
            HttpResponse<String> refused = http.postJson(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"who\"}],\"max_tokens\":1}");
            assertThat(json(refused).get("error").get("message").asString())
                    .contains("rendered by the operator template");
            HttpResponse<String> served = http.postJson(
                    "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":1}");
            assertThat(served.statusCode()).isEqualTo(200);
            // The template adds nothing around the text: the prompt is "hello" alone.
            assertThat(json(served).get("usage").get("prompt_tokens").asInt())
                    .isEqualTo(json(http.postJson("/tokenize", "{\"inputs\":\"hello\"}"))
                                    .size()
                            - 1); // no BOS
        }
    }

    @Test
    void aTemplateThatCannotRenderStopsTheStartNamingTheSetting() throws Exception {
        Path template = Files.writeString(dir.resolve("broken.jinja"), "{{ messages[0].content.no_such_method() }}");
        Throwable failure = catchThrowable(
                () -> start("--tributary.chat-template=" + template).close());
        assertThat(failure).hasRootCauseInstanceOf(ChatTemplateException.class);
        assertThat(failure)
                .hasStackTraceContaining(InvalidSettingException.class.getName())
                .hasStackTraceContaining("tributary.chat-template: " + template + " does not render a conversation");
    }

    @Test
    void theCheckpointsOwnTemplateThatCannotRenderStopsTheStart() throws Exception {
        Path manifest = EmbeddedDefaultMixture.ensure(dir.resolve("cache"));
        try (var files = Files.walk(manifest.getParent())) {
            for (Path config :
                    files.filter(file -> file.endsWith("tokenizer_config.json")).toList()) {
                ObjectNode json = (ObjectNode) HttpTestClient.JSON.readTree(config.toFile());
                json.put("chat_template", "{{ messages[0].content.no_such_method() }}");
                Files.writeString(config, json.toString());
            }
        }

        Throwable failure =
                catchThrowable(() -> start("--tributary.mixture=" + manifest).close());

        assertThat(failure).hasRootCauseInstanceOf(ChatTemplateException.class);
        assertThat(failure)
                .hasStackTraceContaining(InvalidSettingException.class.getName())
                .hasStackTraceContaining("the checkpoints' own chat template (chat_template in tokenizer_config.json)"
                        + " does not render a conversation");
    }

    private ConfigurableApplicationContext start(String... args) {
        // The port as an argument: application.yml's server.port would win over a default property.
        return new SpringApplicationBuilder(TributaryApplication.class)
                .properties("spring.main.banner-mode=off", "tributary.cache-dir=" + dir.resolve("cache"))
                .run(Stream.concat(Stream.of("--server.port=0"), Stream.of(args))
                        .toArray(String[]::new));
    }
}
