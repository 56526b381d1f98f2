package io.tributary.server.expert;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.server.HttpTestClient;
import io.tributary.server.TinyTextMixture;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The same application started as an expert server: its experts over gRPC, its HTTP port for probes only. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tributary.role=expert", "tributary.expert-server.port=0"})
class ExpertRoleTest {

    @DynamicPropertySource
    static void tinyTextMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", TinyTextMixture.shared()::toString);
    }

    @LocalServerPort
    int httpPort;

    @Autowired
    ExpertHostServer server;

    @Autowired
    ServedModel model;

    @Test
    void servesItsExpertsOverGrpcWithTheSameDistributionsAsInProcess() {
        try (RemoteExpert remote =
                RemoteExpert.connect("expert-1", "localhost:" + server.port(), RemoteOptions.DEFAULT)) {
            var local = model.mixture().experts().get(1);
            assertThat(remote.vocabularySize()).isEqualTo(local.vocabularySize());
            assertThat(remote.description().getTokenizerFilesMap())
                    .containsKeys("tokenizer.json", "tokenizer_config.json");
            Prompt prompt = Prompt.ofTokens(model.prompts().encode("The river bends"));
            try (ExpertSession there = remote.open(prompt);
                    ExpertSession here = local.open(prompt)) {
                assertThat(there.nextLogProbs()).containsExactly(here.nextLogProbs());
                there.append(7);
                here.append(7);
                assertThat(there.nextLogProbs()).containsExactly(here.nextLogProbs());
            }
        }
    }

    @Test
    void reportsHealthOverTheGrpcHealthProtocolAndTheActuator() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.port())
                .usePlaintext()
                .build();
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            for (String service : new String[] {"", "expert-0", "expert-1"}) {
                assertThat(health.check(HealthCheckRequest.newBuilder()
                                        .setService(service)
                                        .build())
                                .getStatus())
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
        } finally {
            channel.shutdownNow();
        }
        JsonNode actuator = HttpTestClient.json(new HttpTestClient(httpPort).get("/actuator/health"));
        assertThat(actuator.get("status").asString()).isEqualTo("UP");
        assertThat(actuator.at("/components/expertServer/details/grpcPort").asInt())
                .isEqualTo(server.port());
    }

    @Test
    void refusesGenerationRequestsSayingWhereTheyGo() throws Exception {
        HttpResponse<String> response = new HttpTestClient(httpPort).postJson("/generate", "{\"inputs\":\"hi\"}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("this is an expert server", "port " + server.port());
    }
}
