package io.tributary.server.structured;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
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
 * Formats on the embedded default experts, sampled at temperature 1: every answer parses and validates, on chat,
 * completions, TGI's /generate and streams; formats that cannot be compiled are refused with the field's name
 * (400 in OpenAI's dialect, 422 in TGI's).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class StructuredOutputServingTest {

    private static final String SCHEMA = """
            {"type": "object",
             "properties": {"shape": {"enum": ["circle", "square", "triangle"]},
                            "count": {"type": "integer", "minimum": 0, "maximum": 9},
                            "label": {"type": "string", "maxLength": 8}},
             "required": ["shape", "count"]}""";

    @LocalServerPort
    int port;

    @Test
    void everyChoiceUnderAJsonSchemaParsesAndValidates() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        Schema validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(SCHEMA, InputFormat.JSON);
        String request = """
                {"messages": [{"role": "user", "content": "Which shape, and how many?"}],
                 "temperature": 1, "seed": 3, "n": 16, "max_tokens": 120,
                 "response_format": {"type": "json_schema", "json_schema": {"name": "shapes", "strict": true,
                                     "schema": %s}}}""".formatted(SCHEMA);

        JsonNode answer = json(http.postJson("/v1/chat/completions", request));

        ContractSchemas.assertValid("ChatCompletion", answer);
        assertThat(answer.get("choices")).hasSize(16);
        for (JsonNode choice : answer.get("choices")) {
            String content = choice.get("message").get("content").asString();
            assertThat(validator.validate(HttpTestClient.JSON.readTree(content)))
                    .as(content)
                    .isEmpty();
            assertThat(choice.get("finish_reason").asString()).isEqualTo("stop");
        }
    }

    @Test
    void tgiGrammarsAndVllmGuidedFieldsHoldTheOutputToo() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String regex = "[a-z]{2,5}-\\\\d{2}";

        JsonNode generated = json(http.postJson(
                "/generate",
                "{\"inputs\": \"A code:\", \"parameters\": {\"do_sample\": true, \"seed\": 5, \"max_new_tokens\": 40,"
                        + " \"grammar\": {\"type\": \"regex\", \"value\": \"" + regex + "\"}}}"));
        assertThat(generated.get("generated_text").asString()).matches("[a-z]{2,5}-\\d{2}");

        List<String> choices = List.of("yes", "no", "maybe");
        JsonNode completion = json(http.postJson(
                "/v1/completions",
                "{\"prompt\": \"Is it round?\", \"temperature\": 1, \"seed\": 9, \"n\": 8, \"max_tokens\": 10,"
                        + " \"guided_choice\": [\"yes\", \"no\", \"maybe\"]}"));
        for (JsonNode choice : completion.get("choices")) {
            assertThat(choices).contains(choice.get("text").asString());
        }

        StringBuilder streamed = new StringBuilder();
        for (String data : http.streamData(
                "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Describe it.\"}], \"stream\": true,"
                        + " \"temperature\": 1, \"seed\": 2, \"max_tokens\": 80,"
                        + " \"response_format\": {\"type\": \"json_object\"}}")) {
            if (!data.equals("[DONE]")) {
                HttpTestClient.JSON
                        .readTree(data)
                        .path("choices")
                        .forEach(choice -> streamed.append(
                                choice.path("delta").path("content").asString("")));
            }
        }
        JsonNode object = HttpTestClient.JSON.readTree(streamed.toString());
        assertThat(object.isObject()).as(streamed.toString()).isTrue();
    }

    @Test
    void formatsThatCannotBeCompiledAreRefusedWithTheirField() throws Exception {
        HttpTestClient http = new HttpTestClient(port);

        HttpResponse<String> lookAround = http.postJson(
                "/generate",
                "{\"inputs\": \"x\", \"parameters\": {\"grammar\": {\"type\": \"regex\", \"value\": \"(?=a)b\"}}}");
        assertThat(lookAround.statusCode())
                .as("TGI's status for a request it cannot serve")
                .isEqualTo(422);
        assertThat(json(lookAround).get("error").asString())
                .contains("`grammar`")
                .contains("look-around");

        HttpResponse<String> noSchema = http.postJson(
                "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}],"
                        + " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\"}}}");
        assertThat(noSchema.statusCode()).as(noSchema.body()).isEqualTo(400);
        assertThat(json(noSchema).get("error").get("message").asString())
                .contains("`response_format.json_schema.schema` is required");

        HttpResponse<String> twoFormats = http.postJson(
                "/v1/completions", "{\"prompt\": \"x\", \"guided_regex\": \"a+\", \"guided_choice\": [\"a\"]}");
        assertThat(twoFormats.statusCode()).as(twoFormats.body()).isEqualTo(400);
        assertThat(json(twoFormats).get("error").get("message").asString())
                .contains("`guided_choice` cannot be combined with guided_regex");
    }
}
