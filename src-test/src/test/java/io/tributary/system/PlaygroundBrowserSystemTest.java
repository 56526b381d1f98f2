package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.Color;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The playground and the docs page in a real browser against the packaged jar serving two tiny LLaVA experts:
 * a person attaches an image (or picks one of the examples the mixture ships), picks a routing mode and watches the
 * answer stream in, token by token, each coloured by its dominant expert, with one bar of expert weights per token.
 */
class PlaygroundBrowserSystemTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String QUESTION = "What is in the picture?";
    private static final int MAX_NEW_TOKENS = 12;
    private static final String EXAMPLE_QUESTION = "Which animal is this?";

    @TempDir
    static Path dir;

    static ServerProcess server;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        Browser.requireInstalled();
        // The test picks posterior routing in the page: it needs no router artefacts beside the experts, and it
        // moves the weights after every token.
        Path manifest = TinyMixtures.vision(dir, "uniform");
        Path examples = Files.createDirectories(dir.resolve("examples"));
        Files.write(examples.resolve("example.png"), png(11, 32, 32));
        Files.writeString(
                examples.resolve("examples.json"),
                "[{\"image\": \"example.png\", \"question\": \"" + EXAMPLE_QUESTION + "\", \"answer\": \"cat\"}]");
        server = ServerProcess.start(dir.resolve("cache"), "--tributary.mixture=" + manifest);
        browser = Browser.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anImageQuestionStreamsTokensColouredByExpertWithOneBarEach() throws Exception {
        byte[] png = png(7, 48, 36);
        Path image = Files.write(dir.resolve("picture.png"), png);
        openPlayground();
        browser.findElement(By.id("prompt")).clear();
        browser.findElement(By.id("prompt")).sendKeys(QUESTION);
        browser.findElement(By.id("images")).sendKeys(image.toString());
        wait(10).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#thumbnails img"), 1));
        new Select(browser.findElement(By.id("format"))).selectByValue("llava");
        new Select(browser.findElement(By.id("routing-mode"))).selectByValue("posterior");
        browser.findElement(By.id("max-new-tokens")).clear();
        browser.findElement(By.id("max-new-tokens")).sendKeys(String.valueOf(MAX_NEW_TOKENS));
        // Records the number of bars each time the chart changes, to see it grow while the answer streams.
        js("window.barCounts = []; new MutationObserver(() => window.barCounts.push("
                + "document.querySelectorAll('#chart .bar').length))"
                + ".observe(document.getElementById('chart'), {childList: true});");

        browser.findElement(By.id("generate")).click();
        String state = awaitFinished();
        assertThat(state).as(errorText()).isEqualTo("done");

        // The same request straight to the API, as the README writes an image for LLaVA: greedy decoding gives
        // the same tokens and weights.
        ObjectNode body = JSON.createObjectNode();
        body.put(
                "inputs",
                "USER: ![](data:image/png;base64," + Base64.getEncoder().encodeToString(png) + ")\n" + QUESTION
                        + " ASSISTANT:");
        ObjectNode parameters = body.putObject("parameters");
        parameters
                .put("max_new_tokens", MAX_NEW_TOKENS)
                .put("details", true)
                .putObject("routing")
                .put("mode", "posterior");
        List<JsonNode> expected = streamTokens(body.toString());
        assertThat(expected).isNotEmpty();

        List<WebElement> tokens = browser.findElements(By.cssSelector("#answer .token"));
        List<WebElement> bars = browser.findElements(By.cssSelector("#chart .bar"));
        assertThat(tokens).hasSize(expected.size());
        assertThat(bars).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            JsonNode token = expected.get(i);
            double[] weights = token.get("expert_weights")
                    .valueStream()
                    .mapToDouble(JsonNode::asDouble)
                    .toArray();
            assertThat(tokens.get(i).getDomProperty("textContent"))
                    .isEqualTo(token.get("text").asString());
            List<WebElement> segments = bars.get(i).findElements(By.tagName("rect"));
            assertThat(segments).hasSize(TinyMixtures.EXPERTS.size());
            for (int k = 0; k < weights.length; k++) {
                assertThat(Double.parseDouble(segments.get(k).getDomAttribute("data-weight")))
                        .isCloseTo(weights[k], within(1e-12));
            }
            int dominant = dominant(weights);
            assertThat(tokens.get(i).getDomAttribute("data-expert")).isEqualTo(String.valueOf(dominant));
            if (dominant >= 0) { // the token is underlined in its expert's colour, the colour of its bar segment
                assertThat(Color.fromString(tokens.get(i).getCssValue("border-bottom-color")))
                        .isEqualTo(Color.fromString(segments.get(dominant).getCssValue("fill")));
            }
        }
        @SuppressWarnings("unchecked")
        List<Long> counts = (List<Long>) js("return window.barCounts;");
        assertThat(counts)
                .as("bars after each change of the chart")
                .isSortedAccordingTo(Long::compare)
                .endsWith((long) expected.size());
        assertThat(counts.stream().filter(count -> count > 0).distinct().count())
                .as("the chart grew while the answer streamed, not once at the end: %s", counts)
                .isGreaterThan(1);
        assertThat(browser.findElement(By.id("status")).getText()).contains(expected.size() + " tokens");
    }

    @Test
    void theChatFormatStreamsThroughTheOpenAiRouteWithTheCheckpointsTemplate() throws Exception {
        byte[] png = png(9, 40, 30);
        Path image = Files.write(dir.resolve("chat.png"), png);
        openPlayground();
        browser.findElement(By.id("prompt")).clear();
        browser.findElement(By.id("prompt")).sendKeys(QUESTION);
        browser.findElement(By.id("images")).sendKeys(image.toString());
        wait(10).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#thumbnails img"), 1));
        new Select(browser.findElement(By.id("format"))).selectByValue("chat");
        new Select(browser.findElement(By.id("routing-mode"))).selectByValue("fixed");
        List<WebElement> weightInputs = browser.findElements(By.cssSelector("#fixed-weights input"));
        weightInputs.get(0).clear();
        weightInputs.get(0).sendKeys("3");
        weightInputs.get(1).clear();
        weightInputs.get(1).sendKeys("1");
        browser.findElement(By.id("max-new-tokens")).clear();
        browser.findElement(By.id("max-new-tokens")).sendKeys("6");

        browser.findElement(By.id("generate")).click();
        assertThat(awaitFinished()).as(errorText()).isEqualTo("done");

        // The same chat, not streamed, through the API: greedy, so the same text and weights per token.
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"" + url + "\"}},{\"type\":\"text\",\"text\":\"" + QUESTION + "\"}]}],\"max_tokens\":6,"
                + "\"temperature\":0,\"routing\":{\"mode\":\"fixed\",\"weights\":[3,1]}}";
        JsonNode choice = JSON.readTree(HTTP.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://localhost:" + server.port + "/v1/chat/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(body))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body())
                .get("choices")
                .get(0);
        List<WebElement> tokens = browser.findElements(By.cssSelector("#answer .token"));
        List<WebElement> bars = browser.findElements(By.cssSelector("#chart .bar"));
        assertThat(tokens).hasSize(choice.get("expert_weights").size());
        assertThat(bars).hasSize(tokens.size());
        StringBuilder shown = new StringBuilder();
        tokens.forEach(token -> shown.append(token.getDomProperty("textContent")));
        assertThat(shown.toString())
                .isEqualTo(choice.get("message").get("content").asString());
        for (WebElement bar : bars) {
            List<WebElement> segments = bar.findElements(By.tagName("rect"));
            assertThat(Double.parseDouble(segments.get(0).getDomAttribute("data-weight")))
                    .isEqualTo(0.75);
        }
        assertThat(tokens)
                .allSatisfy(token ->
                        assertThat(token.getDomAttribute("data-expert")).isEqualTo("0"));
    }

    @Test
    void anExampleTheMixtureShipsIsAskedInOneClick() throws Exception {
        openPlayground();
        WebElement example =
                wait(30).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#example-list button")));
        assertThat(example.getText()).isEqualTo(EXAMPLE_QUESTION);
        assertThat(example.getDomAttribute("title")).isEqualTo("Expected answer: cat");

        example.click();
        assertThat(awaitFinished()).as(errorText()).isEqualTo("done");

        // It asked the example's question about the example's picture, through the checkpoints' chat template.
        assertThat(new Select(browser.findElement(By.id("format")))
                        .getFirstSelectedOption()
                        .getDomAttribute("value"))
                .isEqualTo("chat");
        assertThat(browser.findElements(By.cssSelector("#thumbnails img"))).hasSize(1);
        String sent = browser.findElement(By.id("request-preview")).getDomProperty("textContent");
        assertThat(sent).contains(EXAMPLE_QUESTION, "image_url");
        assertThat(browser.findElements(By.cssSelector("#answer .token"))).isNotEmpty();
    }

    @Test
    void aRefusedRequestShowsTheServersReason() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.png"), "not a PNG at all");
        openPlayground();
        browser.findElement(By.id("images")).sendKeys(broken.toString());
        wait(10).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#thumbnails img"), 1));
        browser.findElement(By.id("generate")).click();

        assertThat(awaitFinished()).isEqualTo("error");
        WebElement error = browser.findElement(By.id("error"));
        assertThat(error.isDisplayed()).isTrue();
        assertThat(error.getText()).startsWith("422 validation:").contains("image 1");
        assertThat(browser.findElements(By.cssSelector("#answer .token"))).isEmpty();
    }

    @Test
    void theDocsPageLinkedFromThePlaygroundShowsEveryOperationOfTheContract() throws Exception {
        JsonNode contract = YAMLMapper.builder().build().readTree(get("/openapi.yaml"));
        Set<String> documented = new HashSet<>();
        contract.get("paths")
                .properties()
                .forEach(path -> path.getValue()
                        .properties()
                        .forEach(operation ->
                                documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));

        openPlayground();
        browser.findElement(By.linkText("API docs")).click();
        wait(30).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".opblock"), documented.size()));

        assertThat(browser.getCurrentUrl()).endsWith("/docs");
        Set<String> shown = new HashSet<>();
        for (WebElement operation : browser.findElements(By.cssSelector(".opblock"))) {
            shown.add(operation
                            .findElement(By.cssSelector(".opblock-summary-method"))
                            .getText() + " "
                    + operation
                            .findElement(By.cssSelector(".opblock-summary-path"))
                            .getDomAttribute("data-path"));
        }
        assertThat(shown).isEqualTo(documented);
        assertThat(browser.findElement(By.cssSelector(".info .title")).getText())
                .contains("Tributary");
    }

    private static void openPlayground() {
        browser.get("http://localhost:" + server.port + "/");
        // /info has been read once the routing modes are listed.
        wait(30).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#routing-mode option[value=posterior]")));
    }

    private static String awaitFinished() {
        By finished = By.cssSelector("#status[data-state=done], #status[data-state=error]");
        wait(120).until(ExpectedConditions.presenceOfElementLocated(finished));
        return browser.findElement(By.id("status")).getDomAttribute("data-state");
    }

    private static String errorText() {
        return "error shown: " + browser.findElement(By.id("error")).getText();
    }

    private static WebDriverWait wait(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds));
    }

    private static Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private static int dominant(double[] weights) {
        int best = 0;
        for (int k = 1; k < weights.length; k++) {
            best = weights[k] > weights[best] ? k : best;
        }
        for (int k = 0; k < weights.length; k++) {
            if (k != best && weights[best] - weights[k] < 1e-9) {
                return -1; // shared lead: nobody dominates
            }
        }
        return best;
    }

    /** The tokens of a /generate_stream answer, in order. */
    private static List<JsonNode> streamTokens(String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/generate_stream"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<java.io.InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> tokens = new ArrayList<>();
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    JsonNode event = JSON.readTree(line.substring(5));
                    assertThat(event.has("error")).as(line).isFalse();
                    tokens.add(event.get("token"));
                }
            }
        }
        return tokens;
    }

    private static String get(String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static byte[] png(int seed, int width, int height) throws Exception {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }
}
