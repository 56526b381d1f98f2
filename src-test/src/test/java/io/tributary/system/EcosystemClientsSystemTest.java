package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged server driven by the clients its users have: OpenAI's official SDK (chat with an image, streamed
 * and not, completions, a typed error) and Hugging Face's inference client, current and classic (the classic one
 * posts TGI's {@code POST /}, streamed and not). The clients run in Node ({@code clients/clients.mjs}).
 */
class EcosystemClientsSystemTest {

    @TempDir
    static Path dir;

    private static ServerProcess server;
    private static JsonNode result;

    @BeforeAll
    static void runTheClients() throws Exception {
        Path manifest = TinyMixtures.vision(dir, "uniform");
        server = ServerProcess.start(dir.resolve("cache"), "--tributary.mixture=" + manifest);
        Path image = Files.writeString(dir.resolve("image.txt"), pngDataUri());
        result = NodeScript.run("clients.mjs", "http://localhost:" + server.port, image.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void openAisSdkChatsWithAnImageAndSeesTheExpertWeights() {
        JsonNode chat = result.get("chat");
        assertThat(chat.get("text").asString()).isNotEmpty();
        assertThat(chat.get("finish").asString()).isEqualTo("length");
        assertThat(chat.get("usage").get("completion_tokens").asInt()).isEqualTo(8);
        assertThat(chat.get("logprobs").asInt()).isEqualTo(8);
        assertThat(chat.get("weights")).hasSize(8).allSatisfy(weights -> {
            assertThat(weights.get(0).asDouble()).isEqualTo(0.25); // the routing extension in the body took effect
            assertThat(weights.get(1).asDouble()).isEqualTo(0.75);
        });
    }

    @Test
    void openAisSdkStreamsTheSameAnswerWithUsage() {
        JsonNode stream = result.get("chatStream");
        assertThat(stream.get("text")).isEqualTo(result.get("chat").get("text"));
        assertThat(stream.get("chunks").asInt()).isEqualTo(1 + 8 + 1);
        assertThat(stream.get("usage")).isEqualTo(result.get("chat").get("usage"));
    }

    @Test
    void openAisSdkCompletesTextAndRaisesItsOwnErrorType() {
        assertThat(result.get("completion").get("model").asString()).isEqualTo("tiny-vision");
        assertThat(result.get("completion").get("text").asString()).isNotEmpty();
        assertThat(result.get("badRequest").get("status").asInt()).isEqualTo(400);
        assertThat(result.get("badRequest").get("kind").asString()).isEqualTo("BadRequestError");
        assertThat(result.get("badRequest").get("message").asString()).contains("`messages` must hold at least one");
    }

    @Test
    void huggingFacesClientsGenerateThroughBothApis() {
        // This client sends no temperature, so OpenAI's default samples: an early end-of-sequence may cut it short.
        JsonNode current = result.get("tgi");
        assertThat(current.get("events").asInt()).isBetween(1, 5);
        JsonNode classic = result.get("tgiClassic");
        // TGI decodes greedily by default, as the OpenAI-style completion with temperature 0 did.
        assertThat(classic.get("text")).isEqualTo(result.get("completion").get("text"));
        assertThat(classic.get("streamed")).isEqualTo(classic.get("text"));
        assertThat(classic.get("events").asInt()).isEqualTo(5);
    }

    private static String pngDataUri() throws Exception {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | 128);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }
}
