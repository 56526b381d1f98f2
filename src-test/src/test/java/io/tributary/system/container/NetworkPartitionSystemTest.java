package io.tributary.system.container;

import com.github.dockerjava.api.model.ContainerNetwork;
import io.tributary.system.TinyMixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Network;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tributary.system.container.Http.JSON;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Network partitions, for real: a gateway container and two expert-server containers on one Docker network, the
 * gateway's {@code alpha} on both (replicas) and its {@code beta} in process. Cutting the first expert server off the
 * network mid-answer (Docker's network disconnect: its packets go nowhere, no connection is reset) makes the step
 * miss its deadline and alpha's session fail over to the second, the greedy answer unchanged; cutting both off drops
 * alpha as an unavailable expert, and the answer finishes with beta. Each case is bounded in time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkPartitionSystemTest {

    private static final String GREEDY =
            "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":300," + "\"details\":true}}";

    @TempDir
    static Path dir;

    static Network network;
    static TributaryContainer expertA;
    static TributaryContainer expertB;
    static TributaryContainer gateway;

    @BeforeAll
    static void start() throws Exception {
        String image = DockerImages.server();
        Path mixture = TinyMixtures.text(dir.resolve("mixture"));
        Path manifest = Files.writeString(mixture.resolveSibling("gateway.yaml"), """
                name: partitioned
                experts:
                  - name: alpha
                    address: [expert-a:50051, expert-b:50051]
                  - name: beta
                    path: beta
                router:
                  mode: uniform
                """);
        Files.setPosixFilePermissions(manifest, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        network = Network.newNetwork();
        expertA = TributaryContainer.expertServer(image, network, "expert-a", mixture);
        expertB = TributaryContainer.expertServer(image, network, "expert-b", mixture);
        expertA.start();
        expertB.start();
        gateway = new TributaryContainer(image)
                .withMixture(manifest)
                .withNetwork(network)
                .withEnv("TRIBUTARY_REMOTE_CALL_TIMEOUT", "5s");
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
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aPartitionedReplicaMissesItsDeadlineAndTheAnswerFailsOverUnchanged() throws Exception {
        JsonNode expected =
                JSON.readTree(Http.post(gateway.uri("/generate"), GREEDY).body());

        List<JsonNode> events = Http.stream(gateway.uri("/generate_stream"), GREEDY, event -> {
            if (event.get("index").asInt() == 5) {
                partition(expertA);
            }
        });

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").asString())
                .isEqualTo(expected.get("generated_text").asString());
        assertThat(last.at("/details").has("lost_experts")).isFalse();
        JsonNode failover = last.at("/details/expert_failovers/0");
        assertThat(failover.get("expert").asString()).isEqualTo("alpha");
        assertThat(failover.get("detail").asString())
                .startsWith("expert-a:50051 ")
                .contains("missed the 5000 ms deadline")
                .endsWith("replayed on expert-b:50051");
        reconnect(expertA, "expert-a");
    }

    @Test
    @Order(2)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void withEveryReplicaPartitionedTheExpertIsDroppedAndTheAnswerFinishes() throws Exception {
        List<JsonNode> events = Http.stream(gateway.uri("/generate_stream"), GREEDY, event -> {
            if (event.get("index").asInt() == 5) {
                partition(expertA);
                partition(expertB);
            }
        });

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.at("/details/generated_tokens").asInt()).isEqualTo(300);
        JsonNode lost = last.at("/details/lost_experts/0");
        assertThat(lost.get("expert").asString()).isEqualTo("alpha");
        assertThat(lost.get("reason").asString()).contains("no replica left");
        assertThat(last.at("/token/expert_weights/0").asDouble()).isZero();
    }

    private static void partition(TributaryContainer container) {
        DockerImages.client()
                .disconnectFromNetworkCmd()
                .withNetworkId(network.getId())
                .withContainerId(container.getContainerId())
                .withForce(true)
                .exec();
    }

    private static void reconnect(TributaryContainer container, String alias) {
        DockerImages.client()
                .connectToNetworkCmd()
                .withNetworkId(network.getId())
                .withContainerId(container.getContainerId())
                .withContainerNetwork(new ContainerNetwork().withAliases(alias))
                .exec();
    }
}
