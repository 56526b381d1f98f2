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
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tributary.system.container.Http.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Network faults, for real, between containers on one Docker network. Expert servers {@code expert-a} and
 * {@code expert-b} hold the same checkpoint (also both reachable as {@code alpha-pool}); each gateway serves alpha
 * from them and beta in process, so every greedy answer is the same:
 * <ul>
 *   <li>{@code gateway} lists both as alpha's replicas;
 *   <li>{@code slow-gateway} reaches expert-a through {@code slow-link}, a relay that delays every byte 200 ms each
 *       way (the kernel here has no {@code netem}: see {@link DelayingRelay});
 *   <li>{@code discovering-gateway} names alpha {@code dns:///alpha-pool:50051}, so that replicas joining and leaving
 *       the name are found while it runs.
 * </ul>
 * Packet loss is the kernel's own: {@code iptables}' random drop in an expert container's network namespace (entered
 * with {@code nsenter}, which takes root). A partition is Docker's network disconnect: the packets go nowhere, no
 * connection is reset. Each case is bounded in time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkFaultsSystemTest {

    private static final String GREEDY =
            "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":300," + "\"details\":true}}";
    private static final String SHORT =
            "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":16,\"details\":true}}";
    private static final String LONGER =
            "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":64,\"details\":true}}";
    private static final String REPLICAS = "tributary_expert_replicas{";

    @TempDir
    static Path dir;

    static String image;
    static Path mixture;
    static Network network;
    static TributaryContainer expertA;
    static TributaryContainer expertB;
    static GenericContainer<?> slowLink;
    static TributaryContainer gateway;
    static TributaryContainer slowGateway;
    static TributaryContainer discoveringGateway;

    @BeforeAll
    static void start() throws Exception {
        image = DockerImages.server();
        mixture = TinyMixtures.text(dir.resolve("mixture"));
        Path listed = manifest("gateway.yaml", "[expert-a:50051, expert-b:50051]");
        Path slow = manifest("slow.yaml", "slow-link:50051");
        Path discovered = manifest("discovered.yaml", "dns:///alpha-pool:50051");
        network = Network.newNetwork();
        expertA = TributaryContainer.expertServer(image, network, "expert-a", mixture)
                .withNetworkAliases("alpha-pool");
        expertB = TributaryContainer.expertServer(image, network, "expert-b", mixture)
                .withNetworkAliases("alpha-pool");
        Startables.deepStart(expertA, expertB).join();
        Path testClasses = Path.of(DelayingRelay.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        slowLink = new GenericContainer<>(DockerImageName.parse(image))
                .withNetwork(network)
                .withNetworkAliases("slow-link")
                .withFileSystemBind(testClasses.toString(), "/relay", BindMode.READ_ONLY)
                .withCreateContainerCmdModifier(create -> create.withEntrypoint(
                        "java", "-cp", "/relay", DelayingRelay.class.getName(), "50051", "expert-a:50051", "200"))
                .waitingFor(Wait.forLogMessage("relaying .*\\n", 1));
        gateway = gateway(listed);
        slowGateway = gateway(slow);
        discoveringGateway = gateway(discovered).withEnv("TRIBUTARY_REMOTE_REPLICAREFRESH", "1s");
        Startables.deepStart(slowLink, gateway, slowGateway, discoveringGateway).join();
    }

    /** A manifest beside the mixture: alpha at {@code address}, beta in process, mixed uniformly. */
    private static Path manifest(String file, String address) throws Exception {
        Path manifest = Files.writeString(mixture.resolveSibling(file), """
                name: faulty-network
                experts:
                  - name: alpha
                    address: %s
                  - name: beta
                    path: beta
                router:
                  mode: uniform
                """.formatted(address));
        Files.setPosixFilePermissions(manifest, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        return manifest;
    }

    private static TributaryContainer gateway(Path manifest) {
        return new TributaryContainer(image)
                .withMixture(manifest)
                .withNetwork(network)
                .withEnv("TRIBUTARY_REMOTE_CALL_TIMEOUT", "5s");
    }

    @AfterAll
    static void stop() {
        for (GenericContainer<?> container :
                new GenericContainer<?>[] {discoveringGateway, slowGateway, gateway, slowLink, expertB, expertA}) {
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
    void aStreamAcrossALinkDelayed200MsEachWayCompletesWithTheSameTokens() throws Exception {
        String expected = text(gateway, SHORT);

        List<JsonNode> events = Http.stream(slowGateway.uri("/generate_stream"), SHORT, event -> {});

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").asString()).isEqualTo(expected);
        assertThat(last.get("details").has("lost_experts")).isFalse();
        assertThat(last.get("details").has("expert_failovers")).isFalse();
        // Every step crossed the link there and back: at least 400 ms of each round trip was the wire's.
        URI metrics = slowGateway.uri("/metrics");
        double steps = Http.metric(metrics, "tributary_remote_wire_seconds_count{");
        double wire = Http.metric(metrics, "tributary_remote_wire_seconds_sum{");
        assertThat(steps).isGreaterThanOrEqualTo(16);
        assertThat(wire / steps).isGreaterThanOrEqualTo(0.4);
    }

    @Test
    @Order(2)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void fivePercentPacketLossEachWayCompletesWithTheSameTokens() throws Exception {
        String expected = text(gateway, LONGER);
        try {
            dropAtRandom(expertA, 0.05);
            dropAtRandom(expertB, 0.05);

            List<JsonNode> events = Http.stream(gateway.uri("/generate_stream"), LONGER, event -> {});

            JsonNode last = events.get(events.size() - 1);
            assertThat(last.get("generated_text").asString()).isEqualTo(expected);
            assertThat(last.get("details").has("lost_experts")).isFalse();
            assertThat(dropped(expertA) + dropped(expertB)).isPositive(); // the loss was there, and TCP recovered
        } finally {
            for (TributaryContainer expert : List.of(expertA, expertB)) {
                inNetworkOf(expert, "iptables", "-F");
            }
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void replicasFoundByNameJoinAndLeaveAsExpertServersComeAndGo() throws Exception {
        URI metrics = discoveringGateway.uri("/metrics");
        assertThat(Http.metric(metrics, REPLICAS)).isEqualTo(2);
        assertThat(text(discoveringGateway, SHORT)).isEqualTo(text(gateway, SHORT));

        try (TributaryContainer expertC = TributaryContainer.expertServer(image, network, "expert-c", mixture)
                .withNetworkAliases("alpha-pool")) {
            expertC.start();
            await().atMost(Duration.ofMinutes(1)).until(() -> Http.metric(metrics, REPLICAS) == 3);
        }
        // Stopped: the name no longer gives it, and it is retired.
        await().atMost(Duration.ofMinutes(1)).until(() -> Http.metric(metrics, REPLICAS) == 2);
        assertThat(text(discoveringGateway, SHORT)).isEqualTo(text(gateway, SHORT));
    }

    @Test
    @Order(4)
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
    @Order(5)
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

    private static String text(TributaryContainer gateway, String request) throws Exception {
        return JSON.readTree(Http.post(gateway.uri("/generate"), request).body())
                .get("generated_text")
                .asString();
    }

    /** Runs a command of this machine in the network namespace of {@code container}'s process. */
    private static String inNetworkOf(TributaryContainer container, String... command) throws Exception {
        long pid = container.state().getPidLong();
        List<String> line = new java.util.ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-n"));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", line) + " failed (it takes root): " + output);
        }
        return output;
    }

    /** Has the kernel drop {@code share} of the packets {@code container} receives and sends on its network. */
    private static void dropAtRandom(TributaryContainer container, double share) throws Exception {
        for (String rule : List.of("INPUT -i", "OUTPUT -o")) {
            inNetworkOf(
                    container,
                    ("iptables -A " + rule + " eth0 -m statistic --mode random --probability " + share + " -j DROP")
                            .split(" "));
        }
    }

    /** Packets the random-drop rules in {@code container}'s namespace dropped. */
    private static long dropped(TributaryContainer container) throws Exception {
        return inNetworkOf(container, "iptables", "-L", "-v", "-x", "-n")
                .lines()
                .filter(line -> line.contains("statistic mode random"))
                .mapToLong(line -> Long.parseLong(line.strip().split("\\s+")[0]))
                .sum();
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
