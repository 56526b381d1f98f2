package io.tributary.server.api.tgi;

import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.List;

import static io.tributary.server.ContractSchemas.assertValid;
import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GenerateApiTest {

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void generateReturnsTheTextAndDetailsOfTheMixture() throws Exception {
        HttpResponse<String> response = http.postJson(
                "/generate", "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":12,\"details\":true}}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response);
        JsonNode details = body.get("details");
        assertThat(details.get("finish_reason").asString()).isEqualTo("length");
        assertThat(details.get("generated_tokens").asInt()).isEqualTo(12);
        assertThat(details.get("tokens")).hasSize(12);
        StringBuilder text = new StringBuilder();
        for (JsonNode token : details.get("tokens")) {
            text.append(token.get("text").asString());
            assertThat(token.get("logprob").asDouble()).isNegative();
            assertThat(token.get("expert_weights").get(0).asDouble()).isEqualTo(0.5);
            assertThat(token.get("expert_weights").get(1).asDouble()).isEqualTo(0.5);
        }
        assertThat(body.get("generated_text").asString())
                .isEqualTo(text.toString())
                .hasSize(12);
    }

    @Test
    void withoutDetailsOnlyTheTextIsReturned() throws Exception {
        JsonNode body =
                json(http.postJson("/generate", "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":3}}"));
        assertThat(body.has("details")).isFalse();
        assertThat(body.get("generated_text").asString()).hasSize(3);
    }

    @Test
    void returnFullTextPrependsThePrompt() throws Exception {
        JsonNode body = json(http.postJson(
                "/generate", "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":3,\"return_full_text\":true}}"));
        assertThat(body.get("generated_text").asString()).startsWith("hello").hasSize(8);
    }

    @Test
    void typicalSamplingIsSeededAndRepeatable() throws Exception {
        String request = "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":12,\"typical_p\":0.5,"
                + "\"seed\":11,\"details\":true}}";
        JsonNode first = json(http.postJson("/generate", request));
        assertThat(first.get("details").get("seed").asLong())
                .as("typical_p samples, as in TGI")
                .isEqualTo(11);
        assertThat(json(http.postJson("/generate", request)).get("generated_text"))
                .isEqualTo(first.get("generated_text"));
    }

    @Test
    void bestOfReturnsTheLikeliestOfItsSampledAnswersAndListsTheOther() throws Exception {
        JsonNode answer = json(http.postJson(
                "/generate",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":8,\"do_sample\":true,\"best_of\":2,"
                        + "\"details\":true}}"));

        JsonNode details = answer.get("details");
        assertThat(details.get("best_of_sequences")).hasSize(1);
        JsonNode other = details.get("best_of_sequences").get(0);
        assertThat(logProbability(details)).isGreaterThanOrEqualTo(logProbability(other));
        assertThat(other.get("generated_tokens").asInt())
                .isEqualTo(other.get("tokens").size());
        assertThat(details.get("seed").asLong())
                .as("each answer draws its own seed")
                .isNotEqualTo(other.get("seed").asLong());
        assertValid("GenerateResponse", answer);
        assertThat(http.postJson(
                                "/generate_stream",
                                "{\"inputs\":\"hi\",\"parameters\":{\"do_sample\":true,\"best_of\":2}}")
                        .statusCode())
                .isEqualTo(422);
    }

    private static double logProbability(JsonNode answer) {
        double sum = 0;
        for (JsonNode token : answer.get("tokens")) {
            sum += token.get("logprob").asDouble();
        }
        return sum;
    }

    @Test
    void aSeedMakesSamplingRepeatable() throws Exception {
        String request = "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":20,\"do_sample\":true,"
                + "\"seed\":7,\"details\":true}}";
        JsonNode first = json(http.postJson("/generate", request));
        JsonNode second = json(http.postJson("/generate", request));
        assertThat(first.get("generated_text")).isEqualTo(second.get("generated_text"));
        assertThat(first.get("details").get("seed").asLong()).isEqualTo(7);
    }

    @Test
    void streamSendsOneEventPerTokenAndTheTextOnTheLast() throws Exception {
        List<JsonNode> events = http.streamAll(
                "/generate_stream", "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":10,\"details\":true}}");

        assertThat(events).hasSize(10);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            assertThat(event.get("index").asInt()).isEqualTo(i + 1);
            assertThat(event.get("token").get("special").asBoolean()).isFalse();
            assertThat(event.get("token").get("expert_weights")).hasSize(2);
            text.append(event.get("token").get("text").asString());
            if (i < events.size() - 1) {
                assertThat(event.get("generated_text").isNull()).isTrue();
                assertThat(event.get("details").isNull()).isTrue();
            }
        }
        JsonNode last = events.get(9);
        assertThat(last.get("generated_text").asString()).isEqualTo(text.toString());
        assertThat(last.get("details").get("finish_reason").asString()).isEqualTo("length");
        assertThat(last.get("details").get("input_length").asInt()).isEqualTo(5);
    }

    @Test
    void streamAndGenerateAgreeUnderGreedyDecoding() throws Exception {
        String request = "{\"inputs\":\"same prompt\",\"parameters\":{\"max_new_tokens\":15}}";
        List<JsonNode> events = http.streamAll("/generate_stream", request);
        JsonNode body = json(http.postJson("/generate", request));
        assertThat(events.get(events.size() - 1).get("generated_text")).isEqualTo(body.get("generated_text"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":-5}}        | 422 | `max_new_tokens` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":0}}         | 422 | `max_new_tokens` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":1000000}}   | 422 | `max_new_tokens` must be <= 2048",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":99999999999}} | 422 | max_new_tokens",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":\"ten\"}}   | 422 | parameters.max_new_tokens",
                "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":300}}       | 422 | `inputs` tokens + `max_new_tokens` must be <= 256",
                "{\"inputs\":\"\"}                                                 | 422 | `inputs` cannot be empty",
                "{\"parameters\":{}}                                               | 422 | `inputs` cannot be empty",
                "{\"inputs\":42}                                                   | 422 | inputs",
                "{\"inputs\":[\"a\"]}                                              | 422 | inputs",
                "{\"inputs\":\"hi\",\"parameters\":{\"temperature\":0}}            | 422 | `temperature` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"temperature\":-1}}           | 422 | `temperature` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"top_p\":1.5}}                | 422 | `top_p` must be > 0.0 and <= 1.0",
                "{\"inputs\":\"hi\",\"parameters\":{\"top_k\":0}}                  | 422 | `top_k` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"repetition_penalty\":0}}     | 422 | `repetition_penalty` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":{\"stop\":[\"\"]}}              | 422 | `stop` sequences cannot be empty",
                "{\"inputs\":\"hi\",\"parameters\":{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}} | 422 | `stop` supports up to 4",
                "{\"inputs\":\"hi\",\"parameters\":{\"best_of\":2}}                | 422 | you must use sampling when `best_of` is > 1",
                "{\"inputs\":\"hi\",\"parameters\":{\"best_of\":2,\"do_sample\":true,\"seed\":3}} | 422 | `seed` must not be set when `best_of` > 1",
                "{\"inputs\":\"hi\",\"parameters\":{\"best_of\":3,\"do_sample\":true}} | 422 | `best_of` must be > 0 and <= 2",
                "{\"inputs\":\"hi\",\"parameters\":{\"typical_p\":0}}              | 422 | `typical_p` must be > 0.0 and <= 1.0",
                "{\"inputs\":\"hi\",\"parameters\":{\"truncate\":0}}               | 422 | `truncate` must be strictly positive",
                "{\"inputs\":\"hi\",\"parameters\":[]}                             | 422 | parameters",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"psychic\"}}} | 422 | `routing`: unknown routing mode 'psychic'",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"fixed\",\"weights\":[1]}}} | 422 | one weight per expert: got 1 for 2 experts",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"fixed\",\"weights\":[1,-1]}}} | 422 | weight 1 is negative",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"fixed\",\"weights\":[0,0]}}} | 422 | all weights are zero",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"hard\"}}}   | 422 | needs router centroids",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{}}}                  | 422 | `routing.mode` is required",
                "{\"inputs\":\"hi\",\"parameters\":{\"routing\":{\"mode\":\"fixed\",\"weights\":[\"a\",1]}}} | 422 | parameters.routing.weights",
                "{\"inputs\":\"see ![](https://example.com/a.png)\"}                | 422 | image 1: images by URL are turned off",
                "{\"inputs\":\"see ![](ftp://example.com/a.png)\"}                  | 422 | image 1: only base64 data URIs are accepted",
                "{\"inputs\":\"see ![](data:image/png;base64,)\"}                  | 422 | image 1: the image is empty",
                "{\"inputs\":\"see ![](data:image/png;base64,AAAA)\",\"parameters\":{\"truncate\":1}} | 422 | `truncate` cannot shorten a prompt with images",
                "{\"inputs\":\"hi\",\"parameters\":{\"top_n_tokens\":6}}          | 422 | `top_n_tokens` must be >= 0 and <= 5",
                "{\"inputs\":\"hi\",\"parameters\":{\"top_n_tokens\":-1}}         | 422 | `top_n_tokens` must be >= 0 and <= 5",
                "{\"inputs\":\"see ![](data:image/png;base64,AA AA)\"}             | 422 | image 1: an inline image must be written",
                "{\"inputs\":\"see ![](data:image/png;base64,AAAA\"}               | 422 | image 1: an inline image must be written",
                "{\"inputs\": \"hi\"                                               | 400 | Failed to parse the request body as JSON",
                "not json at all                                                   | 400 | Failed to parse the request body as JSON",
                "''                                                                | 422 | the request body is empty",
                "null                                                              | 422 | the request body is empty",
            })
    void badRequestsGetAClearClientError(String body, int status, String message) throws Exception {
        for (String path : List.of("/generate", "/generate_stream")) {
            HttpResponse<String> response = http.postJson(path, body);
            assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(status);
            JsonNode error = json(response);
            assertValid("ErrorResponse", error);
            assertThat(error.get("error").asString()).as(path).contains(message);
            assertThat(error.get("error_type").asString()).isEqualTo("validation");
        }
    }

    @Test
    void topNTokensListTheMostLikelyTokensOfEachStepInDetailsAndStream() throws Exception {
        String request =
                "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":5,\"details\":true," + "\"top_n_tokens\":3}}";
        JsonNode answer = json(http.postJson("/generate", request));
        assertValid("GenerateResponse", answer);
        JsonNode details = answer.get("details");
        assertThat(details.get("top_tokens")).hasSize(5);
        for (int i = 0; i < 5; i++) {
            JsonNode top = details.get("top_tokens").get(i);
            assertThat(top).hasSize(3);
            // Greedy: the chosen token is the most likely one.
            assertThat(top.get(0).get("id"))
                    .isEqualTo(details.get("tokens").get(i).get("id"));
            assertThat(top.get(0).get("logprob").asDouble())
                    .isEqualTo(details.get("tokens").get(i).get("logprob").asDouble());
            assertThat(top.get(1).get("logprob").asDouble())
                    .isLessThanOrEqualTo(top.get(0).get("logprob").asDouble());
        }
        List<JsonNode> events = http.streamAll("/generate_stream", request);
        assertThat(events)
                .hasSize(5)
                .allSatisfy(event -> assertThat(event.get("top_tokens")).hasSize(3));
        events.forEach(event -> assertValid("StreamResponse", event));
        assertThat(events.get(0).get("top_tokens"))
                .isEqualTo(details.get("top_tokens").get(0));

        JsonNode plain = json(http.postJson(
                        "/generate",
                        "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":2," + "\"details\":true}}"))
                .get("details");
        assertThat(plain.get("top_tokens")).isEmpty();
    }

    @Test
    void decoderInputDetailsScoreEachPromptTokenUnderTheMixture() throws Exception {
        JsonNode answer = json(http.postJson(
                "/generate",
                "{\"inputs\":\"river\",\"parameters\":{"
                        + "\"max_new_tokens\":2,\"details\":true,\"decoder_input_details\":true}}"));
        assertValid("GenerateResponse", answer);
        JsonNode prefill = answer.get("details").get("prefill");
        assertThat(prefill).hasSize(5); // one token per character
        assertThat(prefill.get(0).get("logprob").isNull())
                .as("nothing predicts the first token")
                .isTrue();
        for (int t = 0; t < 5; t++) {
            int id = "river".charAt(t) % FakeMixture.EOS;
            assertThat(prefill.get(t).get("id").asInt()).isEqualTo(id);
            assertThat(prefill.get(t).get("text").asString()).isEqualTo(String.valueOf((char) ('a' + id % 26)));
        }
        for (int t = 1; t < 5; t++) {
            assertThat(prefill.get(t).get("logprob").asDouble()).isNegative();
        }
        String plain = "{\"inputs\":\"river\",\"parameters\":{\"max_new_tokens\":2,\"details\":true}}";
        assertThat(json(http.postJson("/generate", plain)).get("details").get("prefill"))
                .isEmpty();

        HttpResponse<String> streamed = http.postJson(
                "/generate_stream",
                "{\"inputs\":\"river\",\"parameters\":{" + "\"details\":true,\"decoder_input_details\":true}}");
        assertThat(streamed.statusCode()).isEqualTo(422);
        assertThat(json(streamed).get("error").asString()).contains("not supported when streaming");
        HttpResponse<String> withoutDetails = http.postJson(
                "/generate", "{\"inputs\":\"river\",\"parameters\":{" + "\"decoder_input_details\":true}}");
        assertThat(json(withoutDetails).get("error").asString()).contains("needs `details` == true");
    }

    @Test
    void theCompatibilityRouteAnswersAsGenerateInAListOrStreams() throws Exception {
        String parameters = "\"parameters\":{\"max_new_tokens\":6}";
        JsonNode generated = json(http.postJson("/generate", "{\"inputs\":\"compat\"," + parameters + "}"));

        HttpResponse<String> whole = http.postJson("/", "{\"inputs\":\"compat\"," + parameters + "}");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(json(whole)).hasSize(1);
        assertValid("GenerateResponse", json(whole).get(0));
        assertThat(json(whole).get(0).get("generated_text")).isEqualTo(generated.get("generated_text"));

        List<JsonNode> events = http.streamAll("/", "{\"inputs\":\"compat\",\"stream\":true," + parameters + "}");
        assertThat(events).hasSize(6);
        assertThat(events.get(5).get("generated_text")).isEqualTo(generated.get("generated_text"));

        HttpResponse<String> bad = http.postJson("/", "{\"inputs\":\"\",\"stream\":false}");
        assertThat(bad.statusCode()).isEqualTo(422);
        assertThat(json(bad).get("error").asString()).contains("`inputs` cannot be empty");
    }

    @Test
    void tokenizeShowsEachTokenWithTheCharactersItCovers() throws Exception {
        HttpResponse<String> response = http.postJson("/tokenize", "{\"inputs\":\"abc\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode tokens = json(response);
        tokens.forEach(token -> assertValid("TokenSpan", token));
        assertThat(tokens).hasSize(3);
        assertThat(tokens.get(1).get("text").asString()).isEqualTo("b");
        assertThat(tokens.get(1).get("start").asInt()).isEqualTo(1);
        assertThat(tokens.get(1).get("stop").asInt()).isEqualTo(2);
        assertThat(tokens.get(1).get("id").asInt()).isEqualTo('b' % FakeMixture.EOS);
        assertThat(http.postJson("/tokenize", "{\"inputs\":\"\"}").statusCode()).isEqualTo(422);
    }

    @Test
    void aRequestCanChooseItsOwnRouting() throws Exception {
        JsonNode details = json(http.postJson(
                        "/generate",
                        "{\"inputs\":\"hello\",\"parameters\":{\"max_new_tokens\":4,"
                                + "\"details\":true,\"routing\":{\"mode\":\"fixed\",\"weights\":[3,1]}}}"))
                .get("details");
        for (JsonNode token : details.get("tokens")) {
            assertThat(token.get("expert_weights").get(0).asDouble()).isEqualTo(0.75);
            assertThat(token.get("expert_weights").get(1).asDouble()).isEqualTo(0.25);
        }
    }

    @Test
    void aClientAcceptingOnlyEventsStillHearsWhyItsRequestWasRefused() throws Exception {
        HttpResponse<String> response = http.postAcceptingEvents("/generate_stream", "{\"inputs\":\"\"}");
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(json(response).get("error").asString()).contains("`inputs` cannot be empty");
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedWith415() throws Exception {
        HttpResponse<String> response = http.post("/generate", "text/plain", "hello");
        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(json(response).get("error_type").asString()).isEqualTo("validation");
    }

    @Test
    void infoDescribesTheMixture() throws Exception {
        JsonNode info = json(http.get("/info"));
        assertThat(info.get("model_id").asString()).isEqualTo("fake-mixture");
        assertThat(info.get("experts")).hasSize(2);
        assertThat(info.get("experts").get(0).asString()).isEqualTo("alpha");
        assertThat(info.get("router").asString()).isEqualTo("uniform");
        assertThat(info.get("routing_modes").valueStream().map(JsonNode::asString))
                .as("no router artefacts: the modes that need none")
                .containsExactly("uniform", "fixed", "posterior");
        assertThat(info.get("max_total_tokens").asInt()).isEqualTo(FakeMixture.MAX_TOTAL_TOKENS);
        assertThat(http.get("/health").statusCode()).isEqualTo(200);
    }
}
