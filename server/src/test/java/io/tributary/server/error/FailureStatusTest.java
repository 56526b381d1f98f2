package io.tributary.server.error;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ExpertUnavailableException;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.KvBudgetExceededException;
import io.tributary.routing.refusal.PromptTooLongException;
import io.tributary.routing.refusal.RoutingRefusedException;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.RequestValidationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.tributary.server.ContractSchemas.assertValid;
import static io.tributary.server.HttpTestClient.JSON;
import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only a typed refusal blames the client: each kind is a 422 (400 on OpenAI's routes) with its message, a loss of
 * every expert TGI's 424, and any other exception, an {@link IllegalArgumentException} above all, a 500 whose
 * details stay in the log. The experts here fail as a marker word in the prompt tells them to.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class FailureStatusTest {

    private static final String BUG = "a bad argument between our own classes";
    private static final Map<String, Supplier<RuntimeException>> FAILURES = Map.of(
            "openbug", () -> new IllegalArgumentException(BUG),
            "lost", () -> new ExpertUnavailableException("alpha", "remote expert 'alpha' is unreachable", null),
            "toolong", () -> new PromptTooLongException("refused: prompt too long"),
            "badimage", () -> new ImageRefusedException("refused: image unreadable"),
            "kvbudget", () -> new KvBudgetExceededException("refused: over the KV budget"),
            "routing", () -> new RoutingRefusedException("refused: routing"),
            "invalid", () -> new RequestValidationException("refused: invalid field"));

    @TestBean(methodName = "io.tributary.server.error.FailureStatusTest#faultyExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    HttpTestClient http;

    static ServedModel faultyExperts() {
        return FakeMixture.served(
                new FaultyExpert(new FakeExpert("alpha", FakeMixture.VOCABULARY, 1)),
                new FaultyExpert(new FakeExpert("beta", FakeMixture.VOCABULARY, 2)));
    }

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"toolong", "badimage", "kvbudget", "routing", "invalid"})
    void everyKindOfRefusalIsTheClientsMistakeInEveryAnswer(String kind) throws Exception {
        String message = "refused: ";
        HttpResponse<String> tgi = http.postJson("/generate", generate(kind));
        assertThat(tgi.statusCode()).as(tgi.body()).isEqualTo(422);
        assertValid("ErrorResponse", json(tgi));
        assertThat(json(tgi).get("error").asString()).startsWith(message);
        assertThat(json(tgi).get("error_type").asString()).isEqualTo("validation");

        HttpResponse<String> openAi = http.postJson("/v1/chat/completions", chat(kind));
        assertThat(openAi.statusCode()).as(openAi.body()).isEqualTo(400);
        assertValid("OpenAiErrorResponse", json(openAi));
        assertThat(json(openAi).get("error").get("message").asString()).startsWith(message);
        assertThat(json(openAi).get("error").get("type").asString()).isEqualTo("invalid_request_error");

        JsonNode tgiEvent = lastEvent("/generate_stream", generate(kind));
        assertThat(tgiEvent.get("error").asString()).startsWith(message);
        assertThat(tgiEvent.get("error_type").asString()).isEqualTo("validation");
        JsonNode openAiEvent = lastJsonEvent("/v1/chat/completions", streamed(chat(kind)));
        assertThat(openAiEvent.get("error").get("message").asString()).startsWith(message);
        assertThat(openAiEvent.get("error").get("type").asString()).isEqualTo("invalid_request_error");
    }

    @Test
    void aBugsIllegalArgumentWhileGeneratingIsA500WithoutItsDetails(CapturedOutput log) throws Exception {
        HttpResponse<String> tgi = http.postJson("/generate", generate("openbug"));
        assertThat(tgi.statusCode()).as(tgi.body()).isEqualTo(500);
        assertValid("ErrorResponse", json(tgi));
        assertThat(json(tgi).get("error").asString())
                .isEqualTo(ErrorResponse.INTERNAL.error())
                .doesNotContain(BUG);
        assertThat(json(tgi).get("error_type").asString()).isEqualTo("internal");

        HttpResponse<String> openAi = http.postJson("/v1/chat/completions", chat("openbug"));
        assertThat(openAi.statusCode()).as(openAi.body()).isEqualTo(500);
        assertValid("OpenAiErrorResponse", json(openAi));
        assertThat(json(openAi).get("error").get("message").asString()).isEqualTo(ErrorResponse.INTERNAL.error());
        assertThat(json(openAi).get("error").get("type").asString()).isEqualTo("server_error");

        assertThat(log.getOut())
                .contains("ERROR")
                .contains("POST /generate failed")
                .contains("POST /v1/chat/completions failed")
                .contains("IllegalArgumentException: " + BUG)
                .contains("at " + FaultyExpert.class.getName() + ".open");
    }

    @Test
    void aBugsIllegalArgumentWhileStreamingEndsTheStreamAsAnInternalError(CapturedOutput log) throws Exception {
        JsonNode tgi = lastEvent("/generate_stream", generate("openbug"));
        assertThat(tgi.get("error").asString()).isEqualTo(ErrorResponse.INTERNAL.error());
        assertThat(tgi.get("error_type").asString()).isEqualTo("internal");

        JsonNode openAi = lastJsonEvent("/v1/completions", streamed("{\"prompt\":\"openbug\",\"max_tokens\":3}"));
        assertThat(openAi.get("error").get("message").asString()).isEqualTo(ErrorResponse.INTERNAL.error());
        assertThat(openAi.get("error").get("type").asString()).isEqualTo("server_error");

        assertThat(log.getOut())
                .contains("ERROR")
                .contains("a streamed generation failed")
                .contains("IllegalArgumentException: " + BUG);
    }

    @Test
    void aBugsIllegalArgumentWhileTranslatingIsA500TooInBothDialects() throws Exception {
        HttpResponse<String> tgi = http.postJson("/generate", generate("countbug"));
        assertThat(tgi.statusCode()).as(tgi.body()).isEqualTo(500);
        assertThat(json(tgi).get("error_type").asString()).isEqualTo("internal");

        HttpResponse<String> openAi = http.postJson("/v1/chat/completions", chat("countbug"));
        assertThat(openAi.statusCode()).as(openAi.body()).isEqualTo(500);
        assertThat(json(openAi).get("error").get("type").asString()).isEqualTo("server_error");
        assertThat(json(openAi).get("error").get("message").asString()).doesNotContain(BUG);
    }

    @Test
    void losingEveryExpertIsAFailedDependencyAsInTgi() throws Exception {
        HttpResponse<String> tgi = http.postJson("/generate", generate("lost"));
        assertThat(tgi.statusCode()).as(tgi.body()).isEqualTo(424);
        assertThat(json(tgi).get("error_type").asString()).isEqualTo("generation");
        assertThat(json(tgi).get("error").asString()).contains("unreachable");

        JsonNode event = lastEvent("/generate_stream", generate("lost"));
        assertThat(event.get("error_type").asString()).isEqualTo("generation");
    }

    @Test
    void springsOwnClientErrorsKeepTheirStatus() throws Exception {
        HttpRequest html = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/generate"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/html")
                .POST(HttpRequest.BodyPublishers.ofString(generate("fine")))
                .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(html, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(406);
    }

    private static String generate(String inputs) {
        return "{\"inputs\":\"" + inputs + "\",\"parameters\":{\"max_new_tokens\":3}}";
    }

    private static String chat(String content) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"max_tokens\":3}";
    }

    private static String streamed(String request) {
        return request.substring(0, request.length() - 1) + ",\"stream\":true}";
    }

    private JsonNode lastEvent(String path, String body) throws Exception {
        List<JsonNode> events = http.streamAll(path, body);
        return events.get(events.size() - 1);
    }

    /** The last JSON event of an OpenAI stream, the one before {@code [DONE]}. */
    private JsonNode lastJsonEvent(String path, String body) throws Exception {
        List<String> data = http.streamData(path, body);
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        return JSON.readTree(data.get(data.size() - 2));
    }

    /** A fake expert that fails as the first marker word the prompt holds tells it to; otherwise the same expert. */
    private record FaultyExpert(FakeExpert expert) implements Expert {

        @Override
        public String name() {
            return expert.name();
        }

        @Override
        public int vocabularySize() {
            return expert.vocabularySize();
        }

        @Override
        public int promptPositions(Prompt prompt) {
            if (holds(prompt, "countbug")) {
                throw new IllegalArgumentException(BUG);
            }
            return expert.promptPositions(prompt);
        }

        @Override
        public ExpertSession open(Prompt prompt) {
            for (Map.Entry<String, Supplier<RuntimeException>> failure : FAILURES.entrySet()) {
                if (holds(prompt, failure.getKey())) {
                    throw failure.getValue().get();
                }
            }
            return expert.open(prompt);
        }

        @Override
        public void forward(ExpertBatch batch) {
            expert.forward(batch);
        }

        @Override
        public void close() {
            expert.close();
        }

        /** Whether the prompt's tokens hold {@code word} as {@link FakeMixture}'s letters encode it. */
        private static boolean holds(Prompt prompt, String word) {
            int[] tokens = prompt.tokenIds();
            int[] marker = word.chars().map(c -> c % FakeMixture.EOS).toArray();
            for (int start = 0; start + marker.length <= tokens.length; start++) {
                if (Arrays.equals(tokens, start, start + marker.length, marker, 0, marker.length)) {
                    return true;
                }
            }
            return false;
        }
    }
}
