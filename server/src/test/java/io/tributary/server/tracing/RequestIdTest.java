package io.tributary.server.tracing;

import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RequestIdTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Test
    void aCallersRequestIdIsEchoedAndAMissingOneIsMade() throws Exception {
        assertThat(post("{\"inputs\":\"abc\",\"parameters\":{\"max_new_tokens\":2}}", "gw-4711:a")
                        .headers()
                        .firstValue(RequestIdFilter.HEADER))
                .hasValue("gw-4711:a");
        assertThat(post("{\"inputs\":\"abc\",\"parameters\":{\"max_new_tokens\":2}}", null)
                        .headers()
                        .firstValue(RequestIdFilter.HEADER)
                        .orElseThrow())
                .matches("[0-9a-f-]{36}");
    }

    @Test
    void refusalsCarryTheIdAndAnInsaneOneIsReplaced() throws Exception {
        HttpResponse<String> refused = post("{\"inputs\":\"\"}", "x".repeat(300));

        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.headers().firstValue(RequestIdFilter.HEADER).orElseThrow())
                .as("too long to log as given")
                .matches("[0-9a-f-]{36}");
    }

    private HttpResponse<String> post(String body, String requestId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/generate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (requestId != null) {
            request.header(RequestIdFilter.HEADER, requestId);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
