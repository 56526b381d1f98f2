package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One expert server shared by two gateways, past its bounds, on the packaged jar: it holds at most two sessions, and
 * both gateways send it more requests than that at once. Every request of both is answered in bounded time (those
 * whose session was refused go on without the remote expert and say so), and the expert server counts what it
 * refused.
 */
class SharedExpertServerSystemTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dir;

    static ServerProcess expertServer;
    static List<ServerProcess> gateways = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path mixture = TinyMixtures.text(dir.resolve("mixture"));
        int grpcPort = ServerProcess.freePort();
        expertServer = ServerProcess.start(
                dir.resolve("expert-cache"),
                "--tributary.mixture=" + mixture,
                "--tributary.role=expert",
                "--tributary.expert-server.port=" + grpcPort,
                "--tributary.expert-server.max-sessions=2");
        // Each gateway runs beta itself and asks the shared expert server for alpha.
        Path manifest = Files.writeString(dir.resolve("mixture/gateway.yaml"), """
                name: shared
                experts:
                  - name: alpha
                    address: localhost:%d
                  - name: beta
                    path: beta
                router:
                  mode: uniform
                """.formatted(grpcPort));
        for (String name : List.of("first", "second")) {
            gateways.add(ServerProcess.start(
                    dir.resolve(name + "-cache"),
                    "--tributary.mixture=" + manifest,
                    "--tributary.remote.call-timeout=10s"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (ServerProcess gateway : gateways) {
            gateway.close();
        }
        if (expertServer != null) {
            expertServer.close();
        }
    }

    @Test
    void bothGatewaysAnswerEveryRequestAndTheSharedServerCountsWhatItRefused() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (ServerProcess gateway : gateways) {
            for (int i = 0; i < 4; i++) {
                answers.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + gateway.port + "/generate"))
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":\"The river " + i
                                        + "\",\"parameters\":{\"max_new_tokens\":40,\"details\":true}}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
        }

        int withoutAlpha = 0;
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(90, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode details = JSON.readTree(response.body()).get("details");
            assertThat(details.get("generated_tokens").asInt()).isEqualTo(40);
            if (details.has("lost_experts")) {
                assertThat(details.at("/lost_experts/0/expert").asString()).isEqualTo("alpha");
                assertThat(details.at("/lost_experts/0/reason").asString()).contains("RESOURCE_EXHAUSTED");
                withoutAlpha++;
            }
        }
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + expertServer.port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        double refused = metrics.lines()
                .filter(line -> line.startsWith("tributary_expert_server_refusals_total{")
                        && line.contains("reason=\"sessions\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
        assertThat(withoutAlpha).as("eight requests at once, two sessions").isPositive();
        assertThat(refused).isEqualTo(withoutAlpha);
    }
}
