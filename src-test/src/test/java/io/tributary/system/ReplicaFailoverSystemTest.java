package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas across processes, on the packaged jar: two expert servers each serving the tiny text mixture, and a
 * gateway whose {@code alpha} lists both as replicas ({@code beta} is on the second only). Killing the first expert
 * server (SIGKILL) in the middle of a streamed greedy answer moves alpha's session to the second by replay: the
 * answer is token for token the one given before the kill, and the stream and its details say so.
 */
class ReplicaFailoverSystemTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String GREEDY =
            "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":400," + "\"details\":true}}";

    @TempDir
    static Path dir;

    static ServerProcess first;
    static ServerProcess second;
    static ServerProcess gateway;
    static int firstPort;
    static int secondPort;

    @BeforeAll
    static void start() throws Exception {
        Path mixture = TinyMixtures.text(dir.resolve("mixture"));
        firstPort = ServerProcess.freePort();
        secondPort = ServerProcess.freePort();
        first = expertServer(mixture, firstPort, "first");
        second = expertServer(mixture, secondPort, "second");
        Path manifest =
                Files.writeString(dir.resolve("gateway.yaml"), """
                name: replicated
                experts:
                  - name: alpha
                    address: [localhost:%d, localhost:%d]
                  - name: beta
                    address: localhost:%d
                router:
                  mode: uniform
                """.formatted(firstPort, secondPort, secondPort));
        gateway = ServerProcess.start(
                dir.resolve("gateway-cache"), "--tributary.mixture=" + manifest, "--tributary.remote.call-timeout=10s");
    }

    private static ServerProcess expertServer(Path mixture, int grpcPort, String name) throws Exception {
        return ServerProcess.start(
                dir.resolve(name + "-cache"),
                "--tributary.mixture=" + mixture,
                "--tributary.role=expert",
                "--tributary.expert-server.port=" + grpcPort);
    }

    @AfterAll
    static void stop() throws Exception {
        for (ServerProcess process : new ServerProcess[] {gateway, second, first}) {
            if (process != null) {
                process.close();
            }
        }
    }

    @Test
    void killingTheReplicaOfAStreamedAnswerLeavesTheGreedyAnswerUnchangedAndSaysSo() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> before = http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + gateway.port + "/generate"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(GREEDY))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(before.statusCode()).as(before.body()).isEqualTo(200);
        JsonNode expected = JSON.readTree(before.body());

        List<JsonNode> events = new ArrayList<>();
        HttpResponse<java.io.InputStream> stream = http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + gateway.port + "/generate_stream"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(GREEDY))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data:")) {
                    events.add(JSON.readTree(line.substring(5).strip()));
                    if (events.size() == 5) {
                        first.kill(); // alpha's session of this answer is on the first (both replicas were idle)
                    }
                }
            }
        }

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").asString())
                .isEqualTo(expected.get("generated_text").asString());
        assertThat(events.stream().map(event -> event.at("/token/id").asInt()).toList())
                .isEqualTo(expected.at("/details/tokens")
                        .valueStream()
                        .map(token -> token.get("id").asInt())
                        .toList());
        assertThat(last.at("/details").has("lost_experts")).isFalse();
        JsonNode failover = last.at("/details/expert_failovers/0");
        assertThat(failover.get("expert").asString()).isEqualTo("alpha");
        assertThat(failover.get("detail").asString())
                .startsWith("localhost:" + firstPort + " failed")
                .endsWith("replayed on localhost:" + secondPort);
        assertThat(events.stream().filter(event -> event.has("expert_failovers")))
                .singleElement()
                .satisfies(event -> assertThat(event.get("index").asInt())
                        .isEqualTo(failover.get("after_tokens").asInt() + 1));
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + gateway.port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .contains("tributary_expert_failovers_total{application=\"tributary\",expert=\"alpha\"} 1.0");
    }
}
