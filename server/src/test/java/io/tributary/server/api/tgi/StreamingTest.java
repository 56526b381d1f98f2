package io.tributary.server.api.tgi;

import io.tributary.routing.testing.ScriptedExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tokens reach the client while the generation is still running: the experts stall after two tokens until the
 * client has read them. A server that buffered the stream would never release the experts.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class StreamingTest {

    static final CountDownLatch CLIENT_HAS_TWO_TOKENS = new CountDownLatch(1);

    @TestBean
    ServedModel servedModel;

    static ServedModel servedModel() {
        return FakeMixture.served(new ScriptedExpert(FakeMixture.VOCABULARY, 7, 4, 11, 11, 14, FakeMixture.EOS)
                .blockedFromStep(2, CLIENT_HAS_TWO_TOKENS));
    }

    @LocalServerPort
    int port;

    @Test
    void eachTokenArrivesBeforeTheGenerationEnds() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        int status = new HttpTestClient(port)
                .stream("/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":20}}", event -> {
                    events.add(event);
                    if (events.size() == 2) {
                        assertThat(event.get("generated_text").isNull()).isTrue();
                        CLIENT_HAS_TWO_TOKENS.countDown();
                    }
                });

        assertThat(status).isEqualTo(200);
        assertThat(events).hasSize(6);
        assertThat(events.get(5).get("generated_text").asString()).isEqualTo("hello");
        assertThat(events.get(5).get("token").get("special").asBoolean()).isTrue();
    }
}
