package io.tributary.server.tracing;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** With Spring Boot's structured logs, what is logged while a request is handled carries its id and trace. */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.structured.format.console=ecs")
class RequestIdLoggingTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Test
    void aLineLoggedWhileHandlingARequestCarriesItsId(CapturedOutput output) throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .header(RequestIdFilter.HEADER, "trace-me-42")
                                .header("traceparent", "00-" + TRACE + "-00f067aa0ba902b7-01")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1,"
                                                + "\"field_only_this_test_sends\":1}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        String line = output.getOut()
                .lines()
                .filter(each -> each.contains("field_only_this_test_sends"))
                .findFirst()
                .orElseThrow();
        assertThat(HttpTestClient.JSON.readTree(line).get("request_id").asString())
                .isEqualTo("trace-me-42");
        assertThat(line).as("the trace it belongs to").contains(TRACE);
    }
}
