package io.tributary.server.api.openai;

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
import static io.tributary.server.HttpTestClient.JSON;
import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiApiTest {

    private static final String PNG = "data:image/png;base64,AAAA";

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
    void aChatIsRenderedWithTheTemplateAndAnsweredAsTheSameTgiPromptWould() throws Exception {
        JsonNode chat = json(http.postJson(
                "/v1/chat/completions",
                "{\"model\":\"fake-mixture\",\"messages\":["
                        + "{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hello\"}],"
                        + "\"max_tokens\":7,\"temperature\":0}"));
        // The fake template renders "[system]be brief[user]hello[assistant]"; its encoding adds no BOS.
        JsonNode tgi = json(http.postJson(
                "/generate",
                "{\"inputs\":\"[system]be brief[user]hello[assistant]\"," + "\"parameters\":{\"max_new_tokens\":7}}"));

        assertValid("ChatCompletion", chat);
        assertThat(chat.get("object").asString()).isEqualTo("chat.completion");
        assertThat(chat.get("id").asString()).startsWith("chatcmpl-");
        assertThat(chat.get("model").asString()).isEqualTo("fake-mixture");
        JsonNode choice = chat.get("choices").get(0);
        assertThat(choice.get("message").get("role").asString()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content")).isEqualTo(tgi.get("generated_text"));
        assertThat(choice.get("finish_reason").asString()).isEqualTo("length");
        assertThat(choice.get("expert_weights")).hasSize(7);
        assertThat(choice.get("expert_weights").get(0).get(0).asDouble()).isEqualTo(0.5);
        assertThat(chat.get("usage").get("prompt_tokens").asInt()).isEqualTo(38);
        assertThat(chat.get("usage").get("completion_tokens").asInt()).isEqualTo(7);
        assertThat(chat.get("usage").get("total_tokens").asInt()).isEqualTo(45);
    }

    @Test
    void everyStreamLineOfBothDialectsIsDataSpaceAndItsPayloadAsOthersWriteThem() throws Exception {
        List<String> chat = http.streamLines(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}");
        List<String> tgi =
                http.streamLines("/generate_stream", "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":3}}");

        for (List<String> lines : List.of(chat, tgi)) {
            List<String> events = lines.stream().filter(line -> !line.isEmpty()).toList();
            assertThat(events)
                    .isNotEmpty()
                    .allSatisfy(line -> assertThat(line).startsWith("data: ").doesNotStartWith("data:  "));
            assertThat(lines.size()).as("a blank line after each event").isEqualTo(2 * events.size());
        }
        assertThat(chat.get(chat.size() - 2)).isEqualTo("data: [DONE]");
        assertThat(JSON.readTree(tgi.get(tgi.size() - 2).substring(6)).has("generated_text"))
                .isTrue();
    }

    @Test
    void theSamplingFieldsOfOpenAiAndVllmAreAppliedAndUnknownFieldsIgnored() throws Exception {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":6,\"temperature\":0,";
        JsonNode forced = json(http.postJson("/v1/chat/completions", chat + "\"logit_bias\":{\"7\":100}}"));
        String text = forced.get("choices").get(0).get("message").get("content").asString();
        assertThat(text).as("every token is 7").hasSize(6).matches("(.)\\1*");

        JsonNode plain = json(http.postJson("/v1/chat/completions", chat + "\"seed\":1}"));
        JsonNode penalised = json(http.postJson(
                "/v1/chat/completions",
                chat + "\"presence_penalty\":2,\"frequency_penalty\":2,\"min_p\":0.1,\"min_tokens\":2,"
                        + "\"ignore_eos\":true,\"stop_token_ids\":[3],\"frobnicate\":{\"a\":1}}"));
        assertThat(penalised.get("choices").get(0).get("message").get("content").asString())
                .as("penalties on repeats change a greedy answer that repeats")
                .isNotEqualTo(plain.get("choices")
                        .get(0)
                        .get("message")
                        .get("content")
                        .asString());
        assertValid("ChatCompletion", penalised);
    }

    @Test
    void severalChoicesAnswerOneRequestEachWithItsOwnSeed() throws Exception {
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":6,"
                + "\"temperature\":1.5,\"seed\":5,\"n\":3}";
        JsonNode three = json(http.postJson("/v1/chat/completions", request));
        JsonNode again = json(http.postJson("/v1/chat/completions", request));

        assertValid("ChatCompletion", three);
        JsonNode choices = three.get("choices");
        assertThat(choices).hasSize(3);
        List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertThat(choices.get(i).get("index").asInt()).isEqualTo(i);
            texts.add(choices.get(i).get("message").get("content").asString());
            assertThat(again.get("choices").get(i).get("message").get("content").asString())
                    .as("a seed repeats every choice")
                    .isEqualTo(texts.get(i));
        }
        assertThat(java.util.Set.copyOf(texts))
                .as("each choice has its own seed")
                .hasSizeGreaterThan(1);
        assertThat(three.get("usage").get("completion_tokens").asInt()).isEqualTo(18);
        JsonNode completions = json(
                http.postJson("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":4,\"temperature\":0,\"n\":2}"));
        assertThat(completions.get("choices")).hasSize(2);
        assertThat(completions.get("choices").get(1).get("text"))
                .as("greedy choices are the same")
                .isEqualTo(completions.get("choices").get(0).get("text"));
    }

    @Test
    void aStreamedChatSendsChunksEndingWithUsageAndDone() throws Exception {
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"stream me\"}],\"max_tokens\":5,"
                + "\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        List<String> data = http.streamData("/v1/chat/completions", request);
        JsonNode whole =
                json(http.postJson("/v1/chat/completions", request.replace("\"stream\":true", "\"stream\":false")));

        assertValid("ChatCompletionRequest", JSON.readTree(request));
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks =
                data.subList(0, data.size() - 1).stream().map(JSON::readTree).toList();
        chunks.forEach(chunk -> assertValid("ChatCompletionChunk", chunk));
        assertThat(chunks).hasSize(1 + 5 + 1); // role, five tokens, usage
        assertThat(chunks)
                .allSatisfy(chunk -> assertThat(chunk.get("object").asString()).isEqualTo("chat.completion.chunk"));
        assertThat(chunks.stream().map(chunk -> chunk.get("id").asString()).distinct())
                .hasSize(1);
        assertThat(chunks.get(0).get("choices").get(0).get("delta").get("role").asString())
                .isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks.subList(1, 6)) {
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.get("delta").get("content").asString());
            assertThat(choice.get("expert_weights")).hasSize(1);
        }
        assertThat(chunks.get(5).get("choices").get(0).get("finish_reason").asString())
                .isEqualTo("length");
        assertThat(chunks.get(4).get("choices").get(0).get("finish_reason").isNull())
                .isTrue();
        assertThat(text.toString())
                .isEqualTo(whole.get("choices")
                        .get(0)
                        .get("message")
                        .get("content")
                        .asString());
        JsonNode usage = chunks.get(6);
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void logprobsListTheChosenTokenAndTheLikeliestOthers() throws Exception {
        JsonNode choice = json(http.postJson(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"hi\"}],\"max_tokens\":4,\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3}"))
                .get("choices")
                .get(0);
        assertValid("ChatLogprobs", choice.get("logprobs"));
        JsonNode content = choice.get("logprobs").get("content");
        assertThat(content).hasSize(4);
        StringBuilder text = new StringBuilder();
        for (JsonNode entry : content) {
            text.append(entry.get("token").asString());
            assertThat(entry.get("logprob").asDouble()).isNegative();
            assertThat(entry.get("top_logprobs")).hasSize(3);
            assertThat(entry.get("top_logprobs").get(0).get("token")).isEqualTo(entry.get("token"));
            assertThat(entry.get("bytes").get(0).asInt())
                    .isEqualTo(entry.get("token").asString().charAt(0));
        }
        assertThat(text.toString())
                .isEqualTo(choice.get("message").get("content").asString());
    }

    @Test
    void imagePartsBecomeTheExpertsImagesInOrder() throws Exception {
        HttpResponse<String> response = http.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\","
                        + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + PNG + "\"}},"
                        + "{\"type\":\"text\",\"text\":\"what is it?\"}]}],\"max_tokens\":3,\"temperature\":0}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        // "[user]#\nwhat is it?[assistant]": the image is one placeholder token.
        assertThat(json(response).get("usage").get("prompt_tokens").asInt()).isEqualTo(30);
    }

    @Test
    void stopSequencesAreLeftOutOfTheAnswer() throws Exception {
        String generated = json(http.postJson(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"x\"}],\"max_tokens\":12,\"temperature\":0}"))
                .get("choices")
                .get(0)
                .get("message")
                .get("content")
                .asString();
        String stop = generated.substring(4, 6);
        String expected = generated.substring(0, generated.indexOf(stop));
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":12,\"temperature\":0,"
                + "\"stop\":\"" + stop + "\"";
        JsonNode choice = json(http.postJson("/v1/chat/completions", request + "}"))
                .get("choices")
                .get(0);
        assertThat(choice.get("message").get("content").asString()).isEqualTo(expected);
        assertThat(choice.get("finish_reason").asString()).isEqualTo("stop");

        List<String> data = http.streamData("/v1/chat/completions", request + ",\"stream\":true}");
        StringBuilder streamed = new StringBuilder();
        for (String event : data.subList(1, data.size() - 1)) {
            streamed.append(JSON.readTree(event)
                    .get("choices")
                    .get(0)
                    .get("delta")
                    .path("content")
                    .asString(""));
        }
        assertThat(streamed.toString()).isEqualTo(expected);
    }

    @Test
    void textCompletionsAnswerAPlainPromptEchoedOnRequest() throws Exception {
        JsonNode completion = json(
                http.postJson(
                        "/v1/completions",
                        "{\"model\":\"fake-mixture\",\"prompt\":\"The river\",\"max_tokens\":6,\"temperature\":0,\"echo\":true}"));
        JsonNode tgi =
                json(http.postJson("/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":6}}"));
        assertValid("Completion", completion);
        assertThat(completion.get("object").asString()).isEqualTo("text_completion");
        assertThat(completion.get("choices").get(0).get("text").asString())
                .isEqualTo("The river" + tgi.get("generated_text").asString());

        JsonNode defaults =
                json(http.postJson("/v1/completions", "{\"prompt\":[\"abc\"],\"temperature\":0,\"logprobs\":2}"));
        assertValid("Completion", defaults);
        JsonNode logprobs = defaults.get("choices").get(0).get("logprobs");
        assertThat(logprobs.get("tokens")).as("OpenAI's default max_tokens").hasSize(16);
        assertThat(logprobs.get("top_logprobs").get(0).size()).isBetween(1, 2);
        assertThat(logprobs.get("text_offset").get(1).asInt()).isEqualTo(1);

        List<String> data = http.streamData(
                "/v1/completions",
                "{\"prompt\":\"The river\",\"max_tokens\":6," + "\"temperature\":0,\"stream\":true}");
        assertThat(data).hasSize(7).last().isEqualTo("[DONE]");
        data.subList(0, 6).forEach(event -> assertValid("Completion", JSON.readTree(event)));
        StringBuilder streamed = new StringBuilder();
        data.subList(0, 6)
                .forEach(event -> streamed.append(
                        JSON.readTree(event).get("choices").get(0).get("text").asString()));
        assertThat(streamed.toString()).isEqualTo(tgi.get("generated_text").asString());
    }

    @Test
    void modelsListsTheMixtureWithItsExperts() throws Exception {
        JsonNode models = json(http.get("/v1/models"));
        assertValid("ModelList", models);
        assertThat(models.get("object").asString()).isEqualTo("list");
        JsonNode card = models.get("data").get(0);
        assertThat(card.get("id").asString()).isEqualTo("fake-mixture");
        assertThat(card.get("object").asString()).isEqualTo("model");
        assertThat(card.get("experts").get(1).asString()).isEqualTo("beta");
        assertThat(json(http.get("/v1/models/fake-mixture")).get("id").asString())
                .isEqualTo("fake-mixture");
        HttpResponse<String> missing = http.get("/v1/models/gpt-4");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertValid("OpenAiErrorResponse", json(missing));
        assertThat(json(missing).get("error").get("code").asString()).isEqualTo("model_not_found");
    }

    @Test
    void aRequestCanChooseItsRoutingAndSeeTheWeights() throws Exception {
        JsonNode choice = json(http.postJson(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"hi\"}],\"max_tokens\":3,\"routing\":{\"mode\":\"fixed\",\"weights\":[1,3]}}"))
                .get("choices")
                .get(0);
        assertThat(json(http.postJson(
                                "/v1/chat/completions",
                                "{\"model\":\"http://localhost\",\"messages\":[{"
                                        + "\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}"))
                        .get("model")
                        .asString())
                .as("any model name is served by the one mixture, as TGI does")
                .isEqualTo("fake-mixture");
        assertThat(choice.get("expert_weights")).allSatisfy(weights -> {
            assertThat(weights.get(0).asDouble()).isEqualTo(0.25);
            assertThat(weights.get(1).asDouble()).isEqualTo(0.75);
        });
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "/v1/chat/completions | {\"messages\":[]}                                          | 400 | `messages` must hold at least one message",
                "/v1/chat/completions | {}                                                         | 400 | `messages` must hold at least one message",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}   | 400 | `messages[0].role` must be one of",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\"}]}                        | 400 | `messages[0].content` is required",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":42}]}         | 400 | `messages[0].content` must be a string or",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"audio\"}]}]} | 400 | `messages[0].content[0].type` must be text or image_url",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]} | 400 | images by URL are turned off on this server (tributary.security.remote-images.enabled)",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,@@\"}}]}]} | 400 | not valid base64",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":17}       | 400 | `n` must be between 1 and 16",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":3} | 400 | `temperature` must be between 0 and 2",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_logprobs\":2} | 400 | `top_logprobs` requires `logprobs`",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":true,\"top_logprobs\":21} | 400 | between 0 and 20",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\"}]} | 400 | `tools[0]` must be {\"type\": \"function\", \"function\": {...}}",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"presence_penalty\":2.5} | 400 | `presence_penalty` must be between -2 and 2",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{\"x\":1}} | 400 | `logit_bias` keys must be token ids",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{\"3\":101}} | 400 | `logit_bias` values must be between -100 and 100",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{\"99999999\":1}} | 400 | outside the vocabulary",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"min_p\":1.5} | 400 | `min_p` must be between 0 and 1",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"min_tokens\":4} | 400 | `min_tokens` must be >= 0 and <= the most tokens asked for (3)",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop_token_ids\":[-1]} | 400 | `stop_token_ids` names token -1",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0} | 400 | `max_tokens` must be at least 1",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100000} | 400 | must be <= 2048",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]} | 400 | `stop` may hold at most 4",
                "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"ten\"} | 400 | max_tokens",
                "/v1/chat/completions | {\"messages\":                                              | 400 | Failed to parse the request body as JSON",
                "/v1/completions      | {\"prompt\":\"\"}                                            | 400 | `prompt` must be a non-empty string",
                "/v1/completions      | {\"prompt\":[\"a\",\"b\"]}                                   | 400 | `prompt` must be one prompt",
                "/v1/completions      | {\"prompt\":\"a\",\"logprobs\":6}                            | 400 | `logprobs` must be between 0 and 5",
                "/v1/completions      | {\"prompt\":\"a\",\"suffix\":\"z\"}                          | 400 | `suffix` is not supported",
                "/v1/completions      | {\"prompt\":\"a\",\"echo\":true,\"logprobs\":1}              | 400 | `echo` cannot be combined",
            })
    void badRequestsGetOpenAisErrorShape(String path, String body, int status, String message) throws Exception {
        HttpResponse<String> response = http.postJson(path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertValid("OpenAiErrorResponse", json(response));
        JsonNode error = json(response).get("error");
        assertThat(error.get("message").asString()).contains(message);
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
    }

    @Test
    void unknownRoutesGetAJsonErrorInTheShapeOfTheirApi() throws Exception {
        HttpResponse<String> openAi = http.postJson("/v1/embeddings", "{}");
        assertThat(openAi.statusCode()).isEqualTo(404);
        assertThat(json(openAi).get("error").get("message").asString()).contains("/v1/embeddings");
        HttpResponse<String> tgi = http.get("/no/such/route");
        assertThat(tgi.statusCode()).isEqualTo(404);
        assertThat(json(tgi).get("error").asString()).contains("no/such/route");
    }
}
