package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The frameworks applications are built with, against the packaged server on its embedded default experts: OpenAI's
 * SDK parsing a Zod schema, LangChain.js ({@code withStructuredOutput} both ways, {@code bindTools}) and the Vercel
 * AI SDK ({@code generateObject}, a tool executed between two steps), each with a tool-call round trip: the call,
 * the tool's result sent back, and a final answer. They run in Node ({@code clients/frameworks.mjs}).
 */
class FrameworksSystemTest {

    private static final List<String> SHAPES = List.of("circle", "square", "triangle");
    private static final List<String> CITIES = List.of("Paris", "Oslo");

    @TempDir
    static Path dir;

    private static ServerProcess server;
    private static JsonNode result;

    @BeforeAll
    static void runTheFrameworks() throws Exception {
        server = ServerProcess.start(dir.resolve("cache"));
        result = NodeScript.run("frameworks.mjs", "http://localhost:" + server.port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void openAisSdkParsesAZodSchemaAndRoundTripsAToolCall() {
        assertThat(result.has("openaiSdkError"))
                .as("%s", result.path("openaiSdkError"))
                .isFalse();
        assertShape(result.get("openaiStructured").get("parsed"));
        assertThat(result.get("openaiStructured").get("valid").asBoolean()).isTrue();

        JsonNode tools = result.get("openaiTools");
        assertThat(tools.get("finish").asString()).isEqualTo("tool_calls");
        assertThat(tools.get("name").asString()).isEqualTo("get_weather");
        assertThat(CITIES).contains(tools.get("arguments").get("city").asString());
        assertThat(tools.get("final").isString())
                .as("the answer after the tool's result")
                .isTrue();
    }

    @Test
    void langChainGetsStructuredOutputBothWaysAndCallsABoundTool() {
        assertThat(result.has("langchainError"))
                .as("%s", result.path("langchainError"))
                .isFalse();
        JsonNode langchain = result.get("langchain");
        for (String method : List.of("jsonSchema", "functionCalling")) {
            assertShape(langchain.get("structured").get(method).get("answer"));
            assertThat(langchain.get("structured").get(method).get("valid").asBoolean())
                    .isTrue();
        }
        assertThat(langchain.get("tool").get("name").asString()).isEqualTo("get_weather");
        assertThat(CITIES)
                .contains(langchain.get("tool").get("args").get("city").asString());
        assertThat(langchain.get("final").asString()).isEqualTo("string");
    }

    @Test
    void theVercelAiSdkGeneratesAnObjectAndRunsAToolBetweenSteps() {
        assertThat(result.has("vercelError"))
                .as("%s", result.path("vercelError"))
                .isFalse();
        JsonNode vercel = result.get("vercel");
        assertShape(vercel.get("object"));
        assertThat(vercel.get("valid").asBoolean()).isTrue();
        assertThat(vercel.get("executed"))
                .singleElement()
                .satisfies(city -> assertThat(CITIES).contains(city.asString()));
        assertThat(vercel.get("steps").asInt())
                .as("the call, then the answer after its result")
                .isEqualTo(2);
        assertThat(vercel.get("final").asString()).isEqualTo("string");
    }

    private static void assertShape(JsonNode answer) {
        assertThat(SHAPES).contains(answer.get("shape").asString());
        assertThat(answer.get("count").asInt()).isBetween(0, 9);
    }
}
