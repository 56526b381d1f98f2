package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The README's promise, checked on the packaged jar: {@code java -jar} with no configuration serves the embedded
 * default, four trained experts and their router, and it answers held-out questions about images as accurately as
 * the reproduction table says for its routing mode, the router sending each domain's questions to one expert.
 */
class EmbeddedDefaultSystemTest {

    /**
     * Exact match of the default's routing (soft, fitted temperature) on the 400 test questions of seed 7, from the
     * table in {@code embedded-default/README.md}. Served answers may differ from it only where batching changes the
     * last bits of a near tie, hence the tolerance.
     */
    private static final double TABLE_EXACT_MATCH = 0.905;

    private static final int EXPERTS = 4;
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    static ServerProcess server;
    static List<HeldOut> heldOut;

    /** A test question of the synthetic task and the domain of its image. */
    record HeldOut(EmbeddedExample question, String domain) {}

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(dir.resolve("cache"));
        heldOut = testSplit(dir.resolve("data"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void heldOutQuestionsAreAnsweredAsAccuratelyAsTheTableSays() throws Exception {
        List<JsonNode> answers = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<JsonNode>> pending = new ArrayList<>();
            for (HeldOut sample : heldOut) {
                pending.add(clients.submit(() -> generate(sample.question())));
            }
            for (Future<JsonNode> answer : pending) {
                answers.add(answer.get(2, TimeUnit.MINUTES));
            }
        } finally {
            clients.shutdownNow();
        }

        int correct = 0;
        Map<String, int[]> routedTo = new HashMap<>();
        for (int i = 0; i < heldOut.size(); i++) {
            HeldOut sample = heldOut.get(i);
            JsonNode answer = answers.get(i);
            correct += normalise(answer.get("generated_text").asString())
                            .equals(normalise(sample.question().answer()))
                    ? 1
                    : 0;
            JsonNode weights = answer.at("/details/tokens/0/expert_weights");
            assertThat(weights).hasSize(EXPERTS);
            routedTo.computeIfAbsent(sample.domain(), d -> new int[EXPERTS])[argmax(weights)]++;
        }
        assertThat(heldOut).hasSize(400);
        assertThat((double) correct / heldOut.size())
                .as("exact match, %d of %d", correct, heldOut.size())
                .isCloseTo(TABLE_EXACT_MATCH, within(0.02));
        // The router chooses: each domain's questions go to one expert, a different one for each domain.
        List<Integer> chosen = new ArrayList<>();
        routedTo.forEach((domain, counts) -> {
            int expert = argmax(counts);
            assertThat(counts[expert])
                    .as("%s questions routed to expert %d", domain, expert)
                    .isGreaterThanOrEqualTo(95);
            chosen.add(expert);
        });
        assertThat(chosen).hasSize(EXPERTS).doesNotHaveDuplicates();
    }

    @Test
    void chatCompletionsReadTheImageAndShowTheRouterChoosing() throws Exception {
        EmbeddedExample question = EmbeddedExample.all().get(0); // the README's: a digit
        ObjectNode request =
                JsonNodeFactory.instance.objectNode().put("max_tokens", 8).put("temperature", 0);
        ObjectNode message = request.putArray("messages").addObject().put("role", "user");
        var content = message.putArray("content");
        content.addObject().put("type", "image_url").putObject("image_url").put("url", question.image());
        content.addObject().put("type", "text").put("text", question.question());

        HttpResponse<String> response = post("/v1/chat/completions", request.toString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode choice = JSON.readTree(response.body()).at("/choices/0");
        assertThat(normalise(choice.at("/message/content").asString())).isEqualTo(normalise(question.answer()));
        assertThat(choice.at("/finish_reason").asString()).isEqualTo("stop");
        JsonNode firstWeights = choice.at("/expert_weights/0");
        assertThat(firstWeights).hasSize(EXPERTS);
        assertThat(firstWeights.get(argmax(firstWeights)).asDouble()).isGreaterThan(0.9);
    }

    @Test
    void streamDeliversEachTokenThenTheFinalEventWithTheAnswer() throws Exception {
        EmbeddedExample question = EmbeddedExample.all().get(1);
        HttpRequest request = HttpRequest.newBuilder(uri("/generate_stream"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(question.generateRequest(8)))
                .build();
        List<JsonNode> events = new ArrayList<>();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    events.add(JSON.readTree(line.substring(5)));
                }
            }
        }

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode last = events.get(events.size() - 1);
        assertThat(events).hasSize(last.at("/details/generated_tokens").asInt());
        assertThat(events.subList(0, events.size() - 1))
                .allSatisfy(e -> assertThat(e.get("generated_text").isNull()).isTrue());
        assertThat(normalise(last.get("generated_text").asString())).isEqualTo(normalise(question.answer()));
    }

    @Test
    void opsEndpointsAnswer() throws Exception {
        assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        post("/generate", "{\"inputs\":\"warm up\",\"parameters\":{\"max_new_tokens\":2}}");
        String metrics = get("/actuator/prometheus").body();
        assertThat(metrics)
                .contains(
                        "tributary_time_to_first_token_seconds_bucket",
                        "tributary_generation_tokens_total",
                        "tributary_num_requests_running",
                        "tributary_expert_selected_tokens_total");
        JsonNode info = JSON.readTree(get("/info").body());
        assertThat(info.get("experts")).hasSize(EXPERTS);
    }

    @Test
    void badInputIsAClientError() throws Exception {
        HttpResponse<String> response = post("/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":-1}}");
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(response.body()).get("error_type").asString()).isEqualTo("validation");
    }

    @Test
    void aCpuServerStartsWithoutGpuDetectionWarnings() throws Exception {
        // DJL probes the CUDA runtime whatever the device; on a CPU server its warnings are noise (see
        // CpuDeviceLogging).
        List<String> gpuWarnings = server.log()
                .lines()
                .filter(line -> line.contains(" WARN ") && (line.contains("GPU") || line.contains("CUDA")))
                .toList();
        assertThat(server.log()).contains("Started TributaryApplication");
        assertThat(gpuWarnings).isEmpty();
    }

    /** The test split of the synthetic task the experts were trained on (seed 7), written by the jar's own tool. */
    private static List<HeldOut> testSplit(Path data) throws Exception {
        Path jar = Path.of(System.getProperty("tributary.server.jar"));
        Path log = Files.createTempFile("tributary-synthetic-data", ".log");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        jar.toString(),
                        "router-tools",
                        "synthetic-data",
                        "-o",
                        data.toString(),
                        "--seed",
                        "7",
                        "--train-per-domain",
                        "0",
                        "--validation-per-domain",
                        "0",
                        "--test-per-domain",
                        "100")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("synthetic-data failed:\n" + Files.readString(log));
        }
        List<HeldOut> samples = new ArrayList<>();
        for (JsonNode sample : JSON.readTree(data.resolve("test.json").toFile())) {
            byte[] png = Files.readAllBytes(data.resolve(sample.get("image").asString()));
            String text = sample.at("/conversations/0/value").asString().replace("<image>\n", "");
            samples.add(new HeldOut(
                    new EmbeddedExample(
                            "data:image/png;base64," + Base64.getEncoder().encodeToString(png),
                            text,
                            sample.at("/conversations/1/value").asString()),
                    sample.get("domain").asString()));
        }
        return samples;
    }

    private static JsonNode generate(EmbeddedExample question) throws Exception {
        HttpResponse<String> response = post("/generate", question.generateRequest(8));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** As the evaluation compares answers: trimmed, case-insensitive, a final full stop ignored. */
    private static String normalise(String answer) {
        String trimmed = answer.strip().toLowerCase(Locale.ROOT);
        return trimmed.endsWith(".")
                ? trimmed.substring(0, trimmed.length() - 1).strip()
                : trimmed;
    }

    private static int argmax(JsonNode weights) {
        int best = 0;
        for (int k = 1; k < weights.size(); k++) {
            best = weights.get(k).asDouble() > weights.get(best).asDouble() ? k : best;
        }
        return best;
    }

    private static int argmax(int[] counts) {
        int best = 0;
        for (int k = 1; k < counts.length; k++) {
            best = counts[k] > counts[best] ? k : best;
        }
        return best;
    }

    private static URI uri(String path) {
        return URI.create("http://localhost:" + server.port + path);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
