package io.tributary.server.limits;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request at the image limits is not refused by the JSON parser: Jackson's own default (strings of at most 100
 * million characters) would refuse this one image of 72 MiB, 100.7 million characters once base64-encoded, as
 * "not JSON". The parser's limit follows the request body limit instead.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tributary.limits.max-images=1", "tributary.limits.max-image-bytes=72MB"})
class LargeRequestTest {

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Autowired
    JsonMapper json;

    @Test
    void aStringLongerThanJacksonsDefaultLimitIsServed() throws Exception {
        byte[] image = new byte[72 << 20];
        image[0] = 1;
        String base64 = Base64.getEncoder().encodeToString(image);
        assertThat(base64.length()).isGreaterThan(100_000_000);
        String body =
                "{\"inputs\":\"![](data:image/png;base64," + base64 + ")?\",\"parameters\":{\"max_new_tokens\":1}}";

        HttpResponse<String> response = new HttpTestClient(port).postJson("/generate", body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json.tokenStreamFactory().streamReadConstraints().getMaxStringLength())
                .isGreaterThan(body.length());
    }
}
