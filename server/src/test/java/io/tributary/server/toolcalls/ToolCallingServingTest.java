package io.tributary.server.toolcalls;

import io.tributary.server.ContractSchemas;
import io.tributary.server.HttpTestClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.List;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tools on the embedded default experts: required and named choices decode a call that always parses, in whole
 * answers and streams; the call and its result go back into the conversation; malformed tools are refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ToolCallingServingTest {

    private static final String TOOLS = """
            [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.",
              "parameters": {"type": "object", "properties": {"city": {"enum": ["Paris", "Oslo"]}},
                             "required": ["city"]}}},
             {"type": "function", "function": {"name": "count_shapes",
              "parameters": {"type": "object", "properties": {"shape": {"enum": ["circle", "square"]}},
                             "required": ["shape"]}}}]""";

    @LocalServerPort
    int port;

    @Test
    void aRequiredCallAlwaysParsesAndItsResultGoesBackIntoTheConversation() throws Exception {
        HttpTestClient http = new HttpTestClient(port);

        JsonNode answer = json(http.postJson("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": %s,
                 "tool_choice": "required", "temperature": 1, "seed": 4, "n": 4, "max_tokens": 200}""".formatted(TOOLS)));

        ContractSchemas.assertValid("ChatCompletion", answer);
        for (JsonNode choice : answer.get("choices")) {
            assertThat(choice.get("finish_reason").asString()).isEqualTo("tool_calls");
            JsonNode call = choice.get("message").get("tool_calls").get(0);
            assertThat(call.get("type").asString()).isEqualTo("function");
            assertThat(call.get("id").asString()).startsWith("call_");
            JsonNode arguments = HttpTestClient.JSON.readTree(
                    call.get("function").get("arguments").asString());
            if (call.get("function").get("name").asString().equals("get_weather")) {
                assertThat(List.of("Paris", "Oslo"))
                        .contains(arguments.get("city").asString());
            } else {
                assertThat(call.get("function").get("name").asString()).isEqualTo("count_shapes");
                assertThat(List.of("circle", "square"))
                        .contains(arguments.get("shape").asString());
            }
        }

        JsonNode call =
                answer.get("choices").get(0).get("message").get("tool_calls").get(0);
        HttpResponse<String> followUp = http.postJson(
                "/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Weather in Paris?"},
                              {"role": "assistant", "content": null, "tool_calls": [%s]},
                              {"role": "tool", "tool_call_id": "%s", "content": "{\\"sky\\": \\"clear\\"}"}],
                 "tools": %s, "max_tokens": 10}""".formatted(call, call.get("id").asString(), TOOLS));
        assertThat(followUp.statusCode()).as(followUp.body()).isEqualTo(200);
        assertThat(json(followUp)
                        .get("choices")
                        .get(0)
                        .get("message")
                        .get("role")
                        .asString())
                .isEqualTo("assistant");
    }

    @Test
    void aNamedChoiceCallsThatFunctionAlsoWhenStreamed() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String request = """
                {"messages": [{"role": "user", "content": "How many circles?"}], "tools": %s, "stream": true,
                 "tool_choice": {"type": "function", "function": {"name": "count_shapes"}}, "max_tokens": 200,
                 "temperature": 0}""".formatted(TOOLS);

        JsonNode last = null;
        StringBuilder content = new StringBuilder();
        for (String data : http.streamData("/v1/chat/completions", request)) {
            if (!data.equals("[DONE]")) {
                JsonNode chunk = HttpTestClient.JSON.readTree(data);
                content.append(chunk.path("choices")
                        .path(0)
                        .path("delta")
                        .path("content")
                        .asString(""));
                if (!chunk.path("choices").path(0).path("finish_reason").isNull()) {
                    last = chunk;
                }
            }
        }

        assertThat(content.toString()).as("the call is not streamed as text").isEmpty();
        ContractSchemas.assertValid("ChatCompletionChunk", last);
        JsonNode choice = last.get("choices").get(0);
        assertThat(choice.get("finish_reason").asString()).isEqualTo("tool_calls");
        JsonNode call = choice.get("delta").get("tool_calls").get(0);
        assertThat(call.get("index").asInt()).isZero();
        assertThat(call.get("function").get("name").asString()).isEqualTo("count_shapes");
        assertThat(HttpTestClient.JSON
                        .readTree(call.get("function").get("arguments").asString())
                        .has("shape"))
                .isTrue();
    }

    @Test
    void malformedToolsAndChoicesAreRefusedByName() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String user = "[{\"role\": \"user\", \"content\": \"hi\"}]";

        assertRefused(
                http,
                "{\"messages\": " + user + ", \"tools\": " + TOOLS
                        + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"fly\"}}}",
                "`tool_choice` names fly");
        assertRefused(http, "{\"messages\": " + user + ", \"tool_choice\": \"required\"}", "needs `tools`");
        assertRefused(
                http,
                "{\"messages\": [{\"role\": \"tool\", \"content\": \"42\"}], \"tools\": " + TOOLS + "}",
                "tool_call_id` is required");
        assertRefused(
                http,
                "{\"messages\": " + user + ", \"tools\": " + TOOLS + ", \"tool_choice\": \"required\","
                        + " \"response_format\": {\"type\": \"json_object\"}}",
                "cannot be combined with tool_choice");
        assertRefused(
                http,
                "{\"messages\": " + user
                        + ", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a b\"}}]}",
                "function.name");
    }

    private static void assertRefused(HttpTestClient http, String body, String reason) throws Exception {
        HttpResponse<String> response = http.postJson("/v1/chat/completions", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).get("error").get("message").asString()).contains(reason);
    }
}
