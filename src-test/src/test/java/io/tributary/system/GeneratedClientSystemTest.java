package io.tributary.system;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tributary.client.ApiClient;
import io.tributary.client.ApiException;
import io.tributary.client.api.DefaultApi;
import io.tributary.client.model.ChatCompletion;
import io.tributary.client.model.ChatCompletionRequest;
import io.tributary.client.model.ChatMessage;
import io.tributary.client.model.GenerateParameters;
import io.tributary.client.model.GenerateRequest;
import io.tributary.client.model.GenerateResponse;
import io.tributary.client.model.ResponseFormat;
import io.tributary.client.model.ResponseFormatJsonSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Java client generated from {@code openapi/openapi.yaml} by OpenAPI Generator (at build time, by this module's
 * pom) compiles and calls the packaged server: the contract is one that standard tools accept.
 */
class GeneratedClientSystemTest {

    @TempDir
    static Path dir;

    private static ServerProcess server;
    private static DefaultApi api;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(dir.resolve("cache"));
        ApiClient client = new ApiClient();
        client.updateBaseUri("http://localhost:" + server.port);
        api = new DefaultApi(client);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theGeneratedClientReadsInfoAndGenerates() throws Exception {
        assertThat(api.info().getModelId()).isEqualTo("tributary-embedded-default");

        GenerateResponse answer = api.generate(new GenerateRequest()
                .inputs("The river")
                .parameters(new GenerateParameters().maxNewTokens(5).details(true)));

        assertThat(answer.getGeneratedText()).isNotNull();
        assertThat(answer.getDetails().getGeneratedTokens()).isBetween(1, 5);
    }

    @Test
    void theGeneratedClientAsksForAJsonSchemaAndGetsIt() throws Exception {
        Map<String, Object> schema = Map.of(
                "type", "object",
                "properties", Map.of("shape", Map.of("enum", List.of("circle", "square"))),
                "required", List.of("shape"));

        ChatCompletion chat = api.chatCompletions(new ChatCompletionRequest()
                .messages(List.of(new ChatMessage()
                        .role(ChatMessage.RoleEnum.USER)
                        .content(JsonNodeFactory.instance.textNode("Which shape?"))))
                .responseFormat(new ResponseFormat()
                        .type(ResponseFormat.TypeEnum.JSON_SCHEMA)
                        .jsonSchema(new ResponseFormatJsonSchema().name("shape").schema(schema))));

        String content = chat.getChoices().get(0).getMessage().getContent();
        assertThat(List.of("circle", "square"))
                .contains(new ObjectMapper().readTree(content).get("shape").asString());
    }

    @Test
    void aRefusalReachesTheGeneratedClientAsItsException() {
        assertThatThrownBy(() -> api.generate(
                        new GenerateRequest().inputs("The river").parameters(new GenerateParameters().maxNewTokens(0))))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getResponseBody()).contains("max_new_tokens");
                });
    }
}
