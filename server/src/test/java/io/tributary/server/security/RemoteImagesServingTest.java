package io.tributary.server.security;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.http.HttpResponse;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Both APIs hand image URLs to the remote-image rules; a host on the server's own network is refused. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "tributary.security.remote-images.enabled=true",
            "tributary.security.remote-images.allowed-hosts=localhost,*.example.com"
        })
class RemoteImagesServingTest {

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Test
    void imageUrlsGoThroughTheRulesOnEveryApi() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String url = "http://localhost:" + port + "/health";
        HttpResponse<String> chat = http.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\"," + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                        + url + "\"}}]}]}");
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(json(chat).get("error").get("message").asString())
                .contains("messages[0].content[0].image_url.url: host localhost resolves to a loopback address");

        HttpResponse<String> tgi = http.postJson("/generate", "{\"inputs\":\"see ![](" + url + ")\"}");
        assertThat(tgi.statusCode()).isEqualTo(422);
        assertThat(json(tgi).get("error").asString()).contains("image 1: host localhost resolves to a loopback");

        HttpResponse<String> other =
                http.postJson("/generate", "{\"inputs\":\"see ![](https://images.other.org/a.png)\"}");
        assertThat(json(other).get("error").asString()).contains("host images.other.org is not in");
    }
}
