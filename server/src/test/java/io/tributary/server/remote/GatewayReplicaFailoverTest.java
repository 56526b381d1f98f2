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
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway whose first expert has two replicas (two expert servers of the same checkpoint, listed in the manifest
 * entry's {@code address}): when the replica holding an answer's session breaks mid-answer, the session moves to the
 * other by replay and the greedy answer is token for token the one without the failure; the failover is counted and
 * nothing is lost.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "tributary.remote.call-timeout=5s")
class GatewayReplicaFailoverTest {

    private static final String FAILOVERS =
            "tributary_expert_failovers_total{application=\"tributary\",expert=\"expert-0\"}";
    private static Path dir;
    private static ServedModel hostedModel;
    private static FailingExpert failing;
    private static List<ExpertHostServer> servers;

    @DynamicPropertySource
    static void gateway(DynamicPropertyRegistry registry) throws IOException {
        dir = Files.createTempDirectory("gateway-replicas");
        Path local = TinyTextMixture.write(dir.resolve("cache"));
        MixtureLoader loader = new MixtureLoader(LoadOptions.cpu());
        MixtureLoader.Checked checked = loader.check(local);
        hostedModel = loader.load(checked);
        List<HostedExpert> hosted = HostedExperts.of(hostedModel, checked);
        failing = new FailingExpert(hosted.get(0).expert());
        // The first replica listed takes the first session (both are idle); it is the one that breaks.
        servers = List.of(
                ExpertServers.serve(ExpertServers.withExpert(hosted.get(0), failing), 0),
                ExpertServers.serve(hosted.get(0), 0),
                ExpertServers.serve(hosted.get(1), 0));
        Path manifest = ManifestReader.write(
                dir.resolve("gateway.yaml"),
                new MixtureManifest(
                        "gateway",
                        List.of(
                                MixtureManifest.ExpertEntry.remote(
                                        "expert-0",
                                        "localhost:" + servers.get(0).port() + ",localhost:"
                                                + servers.get(1).port()),
                                MixtureManifest.ExpertEntry.remote(
                                        "expert-1",
                                        "localhost:" + servers.get(2).port())),
                        MixtureManifest.RouterEntry.of("uniform")));
        registry.add("tributary.mixture", manifest::toString);
        registry.add("tributary.cache-dir", () -> dir.resolve("gateway-cache").toString());
    }

    @AfterAll
    static void stopExperts() throws Exception {
        for (ExpertHostServer server : servers) {
            server.close();
        }
        hostedModel.close();
    }

    @LocalServerPort
    int port;

    @Test
    void aReplicaBreakingMidAnswerIsReplacedByItsTwinAndTheGreedyAnswerIsUnchanged() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String request = "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":12,\"details\":true}}";
        JsonNode healthy = HttpTestClient.json(http.postJson("/generate", request));
        double before = http.metric(FAILOVERS);

        failing.failAfterPasses(4);
        List<JsonNode> events = http.streamAll("/generate_stream", request);

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").asString())
                .isEqualTo(healthy.get("generated_text").asString());
        assertThat(events.stream().map(event -> event.at("/token/id").asInt()).toList())
                .isEqualTo(healthy.at("/details/tokens")
                        .valueStream()
                        .map(token -> token.get("id").asInt())
                        .toList());
        assertThat(last.at("/details").has("lost_experts")).isFalse();
        assertThat(http.metric(FAILOVERS)).isEqualTo(before + 1);

        // Said while streaming, on the first event after the move, and again in the final details.
        JsonNode failover = last.at("/details/expert_failovers/0");
        assertThat(failover.get("expert").asString()).isEqualTo("expert-0");
        assertThat(failover.get("detail").asString())
                .startsWith("localhost:" + servers.get(0).port() + " failed")
                .endsWith("replayed on localhost:" + servers.get(1).port());
        int after = failover.get("after_tokens").asInt();
        assertThat(after).isBetween(1, 11);
        List<JsonNode> saying =
                events.stream().filter(event -> event.has("expert_failovers")).toList();
        assertThat(saying).singleElement().satisfies(event -> {
            assertThat(event.get("index").asInt()).isEqualTo(after + 1);
            assertThat(event.get("expert_failovers")).isEqualTo(last.at("/details/expert_failovers"));
        });
        events.forEach(event -> ContractSchemas.assertValid("StreamResponse", event));
    }

    @Test
    void openAiStreamsAndAnswersSayItToo() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        // Health checks find the broken replica's server answering again, so new sessions go back to it.
        failing.failAfterPasses(Integer.MAX_VALUE);
        http.get("/actuator/health");
        failing.failAfterPasses(3);

        List<JsonNode> chunks = http
                .streamData(
                        "/v1/completions",
                        "{\"prompt\":\"The river\",\"max_tokens\":10,\"temperature\":0,\"stream\":true}")
                .stream()
                .filter(data -> !data.equals("[DONE]"))
                .map(HttpTestClient.JSON::readTree)
                .toList();

        chunks.forEach(chunk -> ContractSchemas.assertValid("Completion", chunk));
        List<JsonNode> saying = chunks.stream()
                .filter(chunk -> chunk.at("/choices/0").has("expert_failovers"))
                .toList();
        assertThat(saying).hasSize(2); // the first chunk after the move, and the last with all of them
        assertThat(saying.get(1).at("/choices/0/expert_failovers/0/expert").asString())
                .isEqualTo("expert-0");
        assertThat(chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asString())
                .isEqualTo("length");
    }
}
