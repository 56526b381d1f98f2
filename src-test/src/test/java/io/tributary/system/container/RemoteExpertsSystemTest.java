package io.tributary.system.container;

import io.tributary.system.TinyMixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Network;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tributary.system.container.Http.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A gateway container and two expert containers (the same image, {@code TRIBUTARY_ROLE=expert}) on one Docker
 * network: the gateway's manifest names its experts by address. The experts are the tiny text mixture's, whose
 * untrained text runs to the length limit, so a stream is long enough to outlive a killed expert. Greedy answers
 * match the same mixture in process; a stream survives one expert container being killed mid-stream and says so;
 * the expert, started again, serves new requests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteExpertsSystemTest {

    private static final String GREEDY = "{\"inputs\":\"The river bends\",\"parameters\":{\"max_new_tokens\":24,"
            + "\"details\":true,\"decoder_input_details\":true}}";

    @TempDir
    static Path dir;

    static Network network;
    static TributaryContainer expertA;
    static TributaryContainer expertB;
    static TributaryContainer gateway;
    static JsonNode inProcess;

    @BeforeAll
    static void start() throws Exception {
        String image = DockerImages.server();
        Path mixture = TinyMixtures.text(dir.resolve("mixture"));
        // The same mixture in process first, so that only three containers run at once.
        try (TributaryContainer alone = new TributaryContainer(image).withMixture(mixture)) {
            alone.start();
            inProcess = JSON.readTree(Http.post(alone.uri("/generate"), GREEDY).body());
        }
        network = Network.newNetwork();
        // Each expert server serves the whole mixture; the gateway takes alpha from one, beta from the other.
        expertA = TributaryContainer.expertServer(image, network, "expert-a", mixture);
        expertB = TributaryContainer.expertServer(image, network, "expert-b", mixture);
        expertA.start();
        expertB.start();
        Path manifest = Files.createTempFile("gateway", ".yaml");
        Files.writeString(manifest, """
                name: tiny-text
                experts:
                  - name: alpha
                    address: expert-a:50051
                  - name: beta
                    address: expert-b:50051
                """);
        Files.setPosixFilePermissions(manifest, PosixFilePermissions.fromString("rw-r--r--"));
        gateway = new TributaryContainer(image)
                .withNetwork(network)
                .withEnv("TRIBUTARY_MIXTURE", "/etc/tributary/mixture.yaml")
                .withEnv("TRIBUTARY_REMOTE_CALL_TIMEOUT", "10s")
                .withFileSystemBind(manifest.toString(), "/etc/tributary/mixture.yaml", BindMode.READ_ONLY);
        gateway.start();
    }

    @AfterAll
    static void stop() {
        for (TributaryContainer container : new TributaryContainer[] {gateway, expertB, expertA}) {
            if (container != null) {
                container.stop();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    @Order(1)
    void theGatewayAnswersGreedyWithTheSameTokensAndLogProbsAsTheMixtureInProcess() throws Exception {
        HttpResponse<String> response = Http.post(gateway.uri("/generate"), GREEDY);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode remote = JSON.readTree(response.body());

        assertThat(remote.get("generated_text").asString())
                .isEqualTo(inProcess.get("generated_text").asString());
        JsonNode want = inProcess.at("/details/tokens");
        JsonNode got = remote.at("/details/tokens");
        assertThat(got).hasSize(24).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            assertThat(got.get(i).get("id").asInt())
                    .isEqualTo(want.get(i).get("id").asInt());
            assertThat(got.get(i).get("logprob").asDouble())
                    .isCloseTo(want.get(i).get("logprob").asDouble(), within(1e-5));
        }
        JsonNode prefill = remote.at("/details/prefill");
        for (int i = 1; i < prefill.size(); i++) {
            assertThat(prefill.get(i).get("logprob").asDouble())
                    .isCloseTo(
                            inProcess
                                    .at("/details/prefill")
                                    .get(i)
                                    .get("logprob")
                                    .asDouble(),
                            within(1e-5));
        }
        assertThat(Http.get(expertA.uri("/generate")).statusCode())
                .as("experts serve gateways only")
                .isEqualTo(404);
    }

    @Test
    @Order(2)
    void aStreamSurvivesKillingOneExpertContainerAndReportsTheDrop() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        List<JsonNode> events = Http.stream(
                gateway.uri("/generate_stream"),
                "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":600,\"details\":true}}",
                event -> {
                    if (seen.incrementAndGet() == 5) {
                        expertB.signal("SIGKILL");
                    }
                });

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.at("/details/generated_tokens").asInt()).isEqualTo(600).isEqualTo(events.size());
        JsonNode lost = last.at("/details/lost_experts/0");
        assertThat(lost.get("expert").asString()).isEqualTo("beta");
        assertThat(lost.get("after_tokens").asInt()).isBetween(5, 599);
        assertThat(last.at("/token/expert_weights/1").asDouble()).isZero();
        // Said while streaming: the event right after the drop names it.
        assertThat(events.get(lost.get("after_tokens").asInt())
                        .at("/lost_experts/0/expert")
                        .asString())
                .isEqualTo("beta");

        JsonNode health =
                JSON.readTree(Http.get(gateway.uri("/actuator/health")).body());
        assertThat(health.get("status").asString()).isEqualTo("DEGRADED");
        String metrics = Http.get(gateway.uri("/actuator/prometheus")).body();
        assertThat(metrics).contains("tributary_expert_lost_total{application=\"tributary\",expert=\"beta\"} 1.0");
    }

    @Test
    @Order(3)
    void theExpertStartedAgainServesNewRequests() throws Exception {
        DockerImages.client().startContainerCmd(expertB.getContainerId()).exec();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String status = "";
        while (System.nanoTime() < deadline && !status.equals("UP")) {
            Thread.sleep(1_000);
            status = JSON.readTree(Http.get(gateway.uri("/actuator/health")).body())
                    .get("status")
                    .asString();
        }
        assertThat(status).isEqualTo("UP");

        JsonNode answer =
                JSON.readTree(Http.post(gateway.uri("/generate"), GREEDY).body());
        assertThat(answer.get("details").has("lost_experts")).isFalse();
        assertThat(answer.get("generated_text").asString())
                .isEqualTo(inProcess.get("generated_text").asString());
    }
}
