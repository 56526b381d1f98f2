package io.tributary.server.remote;

import io.tributary.model.LoadOptions;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.server.ContractSchemas;
import io.tributary.server.HttpTestClient;
import io.tributary.server.TinyTextMixture;
import io.tributary.server.mixture.HostedExperts;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A gateway over two expert servers (the tiny text mixture's experts) that loses one: the answer finishes with the
 * other and says so, the loss is counted, health reports DEGRADED (not down), and the expert serves again once back.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "tributary.remote.call-timeout=5s")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayExpertLossTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String LOST_SERIES =
            "tributary_expert_lost_total{application=\"tributary\",expert=\"expert-1\"}";
    private static Path dir;
    private static ServedModel hostedModel;
    private static List<HostedExpert> hosted;
    private static FailingExpert failing;
    private static ExpertHostServer first;
    private static ExpertHostServer second;

    @DynamicPropertySource
    static void gateway(DynamicPropertyRegistry registry) throws IOException {
        dir = Files.createTempDirectory("gateway-loss");
        Path local = TinyTextMixture.write(dir.resolve("cache"));
        MixtureLoader loader = new MixtureLoader(LoadOptions.cpu());
        MixtureLoader.Checked checked = loader.check(local);
        hostedModel = loader.load(checked);
        hosted = HostedExperts.of(hostedModel, checked);
        failing = new FailingExpert(hosted.get(1).expert());
        first = ExpertServers.serve(hosted.get(0), 0);
        second = ExpertServers.serve(ExpertServers.withExpert(hosted.get(1), failing), 0);
        Path manifest = ManifestReader.write(
                dir.resolve("gateway.yaml"),
                new MixtureManifest(
                        "gateway",
                        List.of(
                                MixtureManifest.ExpertEntry.remote("expert-0", "localhost:" + first.port()),
                                MixtureManifest.ExpertEntry.remote("expert-1", "localhost:" + second.port())),
                        MixtureManifest.RouterEntry.of("uniform")));
        registry.add("tributary.mixture", manifest::toString);
        registry.add("tributary.cache-dir", () -> dir.resolve("gateway-cache").toString());
    }

    @AfterAll
    static void stopExperts() throws Exception {
        first.close();
        second.close();
        hostedModel.close();
    }

    @LocalServerPort
    int port;

    @Test
    @Order(1)
    void anExpertFailingMidStreamIsDroppedAndTheStreamFinishesSayingSo() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        double lostBefore = http.metric(LOST_SERIES);
        JsonNode healthy = HttpTestClient.json(http.postJson(
                "/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":6,\"details\":true}}"));
        assertThat(healthy.get("details").has("lost_experts")).isFalse();

        failing.failAfterPasses(4);
        List<JsonNode> events = http.streamAll(
                "/generate_stream",
                "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":12,\"details\":true}}");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.at("/details/generated_tokens").asInt()).isEqualTo(12);
        JsonNode lost = last.at("/details/lost_experts/0");
        assertThat(lost.get("expert").asString()).isEqualTo("expert-1");
        int after = lost.get("after_tokens").asInt();
        assertThat(after).isBetween(1, 11);
        assertThat(lost.get("reason").asString()).contains("remote expert 'expert-1'", "broken device");
        // Said at once, not only at the end: the first event after the drop names it, and no other event does.
        List<JsonNode> saying =
                events.stream().filter(event -> event.has("lost_experts")).toList();
        assertThat(saying).hasSize(1);
        assertThat(saying.get(0).get("index").asInt()).isEqualTo(after + 1);
        assertThat(saying.get(0).get("lost_experts")).isEqualTo(last.at("/details/lost_experts"));
        events.forEach(event -> ContractSchemas.assertValid("StreamResponse", event));
        assertThat(events.get(0).at("/token/expert_weights/1").asDouble()).isEqualTo(0.5);
        assertThat(last.at("/token/expert_weights/0").asDouble()).isEqualTo(1.0);
        assertThat(last.at("/token/expert_weights/1").asDouble()).isEqualTo(0.0);
        assertThat(http.metric(LOST_SERIES)).isEqualTo(lostBefore + 1);
    }

    @Test
    @Order(2)
    void aStoppedExpertLeavesHealthDegradedAndServesAgainWhenBack() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        failing.failAfterPasses(Integer.MAX_VALUE);
        int expertPort = second.port();
        second.close();

        HttpResponse<String> health = http.get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode body = HttpTestClient.json(health);
        assertThat(body.get("status").asString()).isEqualTo("DEGRADED");
        assertThat(body.at("/components/remoteExperts/details/expert-1").asString())
                .startsWith("unavailable at");
        assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);

        JsonNode answer = HttpTestClient.json(http.postJson(
                "/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":5,\"details\":true}}"));
        assertThat(answer.at("/details/generated_tokens").asInt()).isEqualTo(5);
        assertThat(answer.at("/details/lost_experts/0/expert").asString()).isEqualTo("expert-1");
        assertThat(answer.at("/details/lost_experts/0/after_tokens").asInt()).isZero();
        JsonNode chat = HttpTestClient.json(http.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"The river\"}],\"max_tokens\":3}"));
        ContractSchemas.assertValid("ChatCompletion", chat);
        assertThat(chat.at("/choices/0/lost_experts/0/expert").asString())
                .as("the OpenAI route reports it too")
                .isEqualTo("expert-1");
        List<String> data = http.streamData(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"The river\"}],\"max_tokens\":3,\"stream\":true}");
        List<JsonNode> chunks = new ArrayList<>();
        for (String chunk : data.subList(0, data.size() - 1)) { // the last is [DONE]
            chunks.add(JSON.readTree(chunk));
        }
        // The role chunk, then the first token's chunk says it (the expert was gone before the first token).
        assertThat(chunks.get(1).at("/choices/0/lost_experts/0/after_tokens").asInt())
                .isZero();
        assertThat(chunks.get(chunks.size() - 1)
                        .at("/choices/0/lost_experts/0/expert")
                        .asString())
                .isEqualTo("expert-1");
        chunks.forEach(chunk -> ContractSchemas.assertValid("ChatCompletionChunk", chunk));

        second = ExpertServers.serve(ExpertServers.withExpert(hosted.get(1), failing), expertPort);
        await().atMost(30, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(300))
                .until(() -> HttpTestClient.json(http.get("/actuator/health"))
                        .get("status")
                        .asString()
                        .equals("UP"));
        JsonNode restored = HttpTestClient.json(http.postJson(
                "/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":5,\"details\":true}}"));
        assertThat(restored.get("details").has("lost_experts")).isFalse();
        JsonNode restoredChat = HttpTestClient.json(http.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"The river\"}],\"max_tokens\":3}"));
        assertThat(restoredChat.at("/choices/0").has("lost_experts")).isFalse();
        assertThat(restored.at("/details/tokens/4/expert_weights/1").asDouble()).isEqualTo(0.5);
    }
}
