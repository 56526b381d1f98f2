package io.tributary.server;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.util.List;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several choices of one request on real experts (the tiny text mixture): the first computes the prompt, the others
 * take it from the experts' prefix caches, and every choice answers as a lone request with its seed would.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SiblingChoicesServingTest {

    private static final String PROMPT = "The river bends past the mill, under the old stone bridge, and on to the sea";

    @DynamicPropertySource
    static void tinyTextMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", TinyTextMixture.shared()::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void siblingsTakeThePromptFromThePrefixCacheAndAnswerAsAlone() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        int promptTokens = json(http.postJson("/tokenize", "{\"inputs\":\"" + PROMPT + "\"}"))
                .size();
        String request = "{\"prompt\":\"" + PROMPT + "\",\"max_tokens\":5,\"temperature\":1,\"seed\":40,\"n\":3}";
        double hits = http.metricTotal("tributary_prefix_cache_hits_total");

        JsonNode three = json(http.postJson("/v1/completions", request));

        assertThat(http.metricTotal("tributary_prefix_cache_hits_total") - hits)
                .as("choices 1 and 2 took all of the prompt but its last position, in each of the two experts")
                .isGreaterThanOrEqualTo(2.0 * 2 * (promptTokens - 1));
        for (int i = 0; i < 3; i++) {
            JsonNode alone = json(
                    http.postJson("/v1/completions", request.replace("\"seed\":40,\"n\":3", "\"seed\":" + (40 + i))));
            assertThat(three.get("choices").get(i).get("text"))
                    .as("choice %d", i)
                    .isEqualTo(alone.get("choices").get(0).get("text"));
        }
    }

    @Test
    void streamedChoicesCarryTheirIndexAndAnswerAsWhole() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}],\"max_tokens\":6,"
                + "\"temperature\":1,\"seed\":7,\"n\":3";
        JsonNode whole = json(http.postJson("/v1/chat/completions", request + "}"));

        List<String> data = http.streamData(
                "/v1/chat/completions", request + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

        assertThat(data).last().isEqualTo("[DONE]");
        assertThat(data).filteredOn("[DONE]"::equals).hasSize(1);
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        int[] finishes = new int[3];
        JsonNode usage = null;
        for (String event : data.subList(0, data.size() - 1)) {
            JsonNode chunk = HttpTestClient.JSON.readTree(event);
            ContractSchemas.assertValid("ChatCompletionChunk", chunk);
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode choice = chunk.get("choices").get(0);
            int index = choice.get("index").asInt();
            texts[index].append(choice.get("delta").path("content").asString(""));
            finishes[index] += choice.get("finish_reason").isNull() ? 0 : 1;
        }
        for (int i = 0; i < 3; i++) {
            assertThat(texts[i].toString())
                    .as("choice %d", i)
                    .isEqualTo(whole.get("choices")
                            .get(i)
                            .get("message")
                            .get("content")
                            .asString());
            assertThat(finishes[i]).as("choice %d ends once", i).isEqualTo(1);
        }
        assertThat(usage).as("the usage chunk, after every choice").isEqualTo(whole.get("usage"));
    }
}
