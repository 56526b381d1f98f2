package io.tributary.tools.bench;

import io.tributary.routing.ImageInput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The same image question asked twice, end to end: the server jar on its embedded default mixture (four experts, each
 * with its prefix cache), a streamed chat completion with the image inline, timed from sending to the first chunk
 * that carries a token. Each round asks about a new picture (nothing cached), then asks the same again. The server's own time to
 * first token, from its metrics, shows what HTTP, the chat template and tokenizing add around it.
 */
final class ServedImageQuestions {

    private final Path jar;
    private final int rounds;
    private final HttpClient http = HttpClient.newHttpClient();

    ServedImageQuestions(Path jar, int rounds) {
        this.jar = jar;
        this.rounds = rounds;
    }

    void run() throws IOException {
        Path cache = Files.createTempDirectory("tributary-bench-served");
        try (BenchmarkServer server = BenchmarkServer.start(jar, null, cache, List.of(), List.of())) {
            URI uri = URI.create("http://localhost:" + server.port() + "/v1/chat/completions");
            for (int warmUp = 0; warmUp < 5; warmUp++) {
                String body = request(PrefixCacheBenchmark.picture(1_000 + warmUp));
                timeToFirstToken(uri, body);
                timeToFirstToken(uri, body);
            }
            List<Double> first = new ArrayList<>();
            List<Double> again = new ArrayList<>();
            double[] serverFirst = new double[2];
            double[] serverAgain = new double[2];
            for (int round = 0; round < rounds; round++) {
                String body = request(PrefixCacheBenchmark.picture(round));
                first.add(timed(server, uri, body, serverFirst));
                again.add(timed(server, uri, body, serverAgain));
            }
            double firstMs = Benchmarks.median(first);
            double againMs = Benchmarks.median(again);
            System.out.printf(
                    Locale.ROOT,
                    "%-38s %9s %11s %9.1f %10.1f %6.2f %12s%n",
                    "same image question, HTTP, 4 experts",
                    "-",
                    "-",
                    firstMs,
                    againMs,
                    againMs / firstMs,
                    "-");
            System.out.printf(
                    Locale.ROOT,
                    "  the server's own time to first token, mean: first %.1f ms, again %.1f ms (ratio %.2f)%n",
                    serverFirst[0] / serverFirst[1],
                    serverAgain[0] / serverAgain[1],
                    (serverAgain[0] / serverAgain[1]) / (serverFirst[0] / serverFirst[1]));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Times one request, adding the server's own time to first token (ms) and a count to {@code serverSide}. */
    private double timed(BenchmarkServer server, URI uri, String body, double[] serverSide) throws Exception {
        double before = serverMillis(server);
        double millis = timeToFirstToken(uri, body);
        serverSide[0] += serverMillis(server) - before;
        serverSide[1]++;
        return millis;
    }

    private static double serverMillis(BenchmarkServer server) throws Exception {
        Map<String, Double> metrics = server.metrics();
        return metrics.getOrDefault("tributary_time_to_first_token_seconds_sum", 0.0) * 1e3;
    }

    private static String request(ImageInput picture) {
        String data = "data:image/png;base64," + Base64.getEncoder().encodeToString(picture.bytes());
        return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + data + "\"}},{\"type\":\"text\",\"text\":\"What digit is this?\"}]}],"
                + "\"max_tokens\":1,\"temperature\":0,\"stream\":true}";
    }

    private double timeToFirstToken(URI uri, String body) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long sent = System.nanoTime();
        Double millis = null;
        try {
            HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("/v1/chat/completions answered " + response.statusCode() + ": "
                        + String.join("\n", response.body().toList()));
            }
            try (Stream<String> lines = response.body()) {
                for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                    String line = it.next();
                    if (millis == null && line.contains("\"expert_weights\":[[")) { // a chunk with a token
                        millis = (System.nanoTime() - sent) / 1e6;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (millis == null) {
            throw new IllegalStateException("the stream ended without a token");
        }
        return millis;
    }
}
