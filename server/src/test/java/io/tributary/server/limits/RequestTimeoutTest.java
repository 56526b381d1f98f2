package io.tributary.server.limits;

import io.tributary.routing.testing.ScriptedExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** A generation over the request timeout ends with 504 naming the setting; one within it is served. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "tributary.limits.request-timeout=1500ms")
class RequestTimeoutTest {

    /** Holds the third token's step: a generation of two tokens ends at once, a longer one waits past the deadline. */
    static final CountDownLatch RELEASE = new CountDownLatch(1);

    @TestBean
    ServedModel servedModel;

    static ServedModel servedModel() {
        return FakeMixture.served(new ScriptedExpert(FakeMixture.VOCABULARY, 1).blockedFromStep(2, RELEASE));
    }

    @LocalServerPort
    int port;

    @AfterAll
    static void release() {
        RELEASE.countDown();
    }

    @Test
    void aGenerationWithinTheTimeoutIsServedAndOnePastItGets504() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        HttpResponse<String> served =
                http.postJson("/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":2}}");
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);

        HttpResponse<String> late =
                http.postJson("/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":3}}");
        assertThat(late.statusCode()).isEqualTo(504);
        assertThat(json(late).get("error").asString())
                .isEqualTo("the generation did not finish within tributary.limits.request-timeout (1500ms)");
        assertThat(json(late).get("error_type").asString()).isEqualTo("timeout");
    }
}
