package io.tributary.server.remote;

import io.tributary.model.LoadOptions;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
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
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A gateway starts while one of an expert's two replicas is down: it serves with the other, health says which one
 * is missing, and the missing one joins by itself once its expert server is up.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tributary.remote.call-timeout=5s", "tributary.remote.replica-refresh=300ms"})
class GatewayLateReplicaTest {

    private static final String REPLICAS = "tributary_expert_replicas{application=\"tributary\",expert=\"expert-0\"}";
    private static Path dir;
    private static ServedModel hostedModel;
    private static List<HostedExpert> hosted;
    private static int latePort;
    private static final List<ExpertHostServer> servers = new ArrayList<>();

    @DynamicPropertySource
    static void gateway(DynamicPropertyRegistry registry) throws IOException {
        dir = Files.createTempDirectory("gateway-late-replica");
        Path local = TinyTextMixture.write(dir.resolve("cache"));
        MixtureLoader loader = new MixtureLoader(LoadOptions.cpu());
        MixtureLoader.Checked checked = loader.check(local);
        hostedModel = loader.load(checked);
        hosted = HostedExperts.of(hostedModel, checked);
        servers.add(ExpertServers.serve(hosted.get(0), 0));
        servers.add(ExpertServers.serve(hosted.get(1), 0));
        try (ServerSocket socket = new ServerSocket(0)) {
            latePort = socket.getLocalPort(); // nothing listens there until the test starts a server on it
        }
        Path manifest = ManifestReader.write(
                dir.resolve("gateway.yaml"),
                new MixtureManifest(
                        "gateway",
                        List.of(
                                MixtureManifest.ExpertEntry.remote(
                                        "expert-0",
                                        "localhost:" + servers.get(0).port() + ",localhost:" + latePort),
                                MixtureManifest.ExpertEntry.remote(
                                        "expert-1",
                                        "localhost:" + servers.get(1).port())),
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
    void aReplicaDownAtStartUpJoinsOnceItsServerIsUp() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String request = "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":6}}";
        assertThat(http.postJson("/generate", request).statusCode()).isEqualTo(200);
        assertThat(http.metric(REPLICAS)).isEqualTo(1);
        JsonNode health = HttpTestClient.json(http.get("/actuator/health"));
        assertThat(health.at("/components/remoteExperts/status").asString()).isEqualTo("DEGRADED");
        assertThat(health.at("/components/remoteExperts/details/expert-0/localhost:" + latePort)
                        .asString())
                .startsWith("unavailable: ");

        servers.add(ExpertServers.serve(hosted.get(0), latePort));

        await().atMost(Duration.ofSeconds(30)).until(() -> http.metric(REPLICAS) == 2);
        JsonNode healed = HttpTestClient.json(http.get("/actuator/health"));
        assertThat(healed.at("/components/remoteExperts/status").asString()).isEqualTo("UP");
        assertThat(healed.at("/components/remoteExperts/details/expert-0/localhost:" + latePort)
                        .asString())
                .isEqualTo("up");
    }
}
