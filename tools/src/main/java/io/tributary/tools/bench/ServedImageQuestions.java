package io.tributary.tools.bench;

import io.tributary.routing.ImageInput;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same image question asked twice, end to end: the server jar on its embedded default mixture (four experts, each
 * with its prefix cache), a streamed chat completion with the image inline, timed from sending to the first chunk
 * that carries a token. Each round asks about a new picture (nothing cached), then asks the same again.
 *
 * <p>The client is what benchmark clients of inference servers are: one kept-alive HTTP/1.1 connection, read on
 * the thread that sends (the JDK's asynchronous client hands each response between threads, which adds milliseconds
 * on a machine of two cores). Server and client are warmed up first with as many rounds as are timed: a server in
 * service has compiled its request path. The server's own time to first token, from its metrics, comes from a second
 * pass over other pictures: the scrape it takes around each request would otherwise sit in front of every timed
 * request, which no client sees in service.
 */
final class ServedImageQuestions {

    private final Path jar;
    private final int rounds;

    ServedImageQuestions(Path jar, int rounds) {
        this.jar = jar;
        this.rounds = rounds;
    }

    void run() throws IOException {
        Path cache = Files.createTempDirectory("tributary-bench-served");
        try (BenchmarkServer server = BenchmarkServer.start(jar, null, cache, List.of(), List.of())) {
            URI uri = URI.create("http://localhost:" + server.port() + "/v1/chat/completions");
            for (int warmUp = 0; warmUp < rounds; warmUp++) {
                String body = request(PrefixCacheBenchmark.picture(1_000_000 + warmUp));
                timeToFirstToken(uri, body);
                timeToFirstToken(uri, body);
            }
            List<Double> first = new ArrayList<>();
            List<Double> again = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                String body = request(PrefixCacheBenchmark.picture(round));
                first.add(timeToFirstToken(uri, body));
                again.add(timeToFirstToken(uri, body));
            }
            double[] serverFirst = new double[2];
            double[] serverAgain = new double[2];
            for (int round = 0; round < rounds; round++) {
                String body = request(PrefixCacheBenchmark.picture(2_000_000 + round));
                timed(server, uri, body, serverFirst);
                timed(server, uri, body, serverAgain);
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
                    "  the server's own time to first token, mean of a second pass: first %.1f ms, again %.1f ms"
                            + " (ratio %.2f)%n",
                    serverFirst[0] / serverFirst[1],
                    serverAgain[0] / serverAgain[1],
                    (serverAgain[0] / serverAgain[1]) / (serverFirst[0] / serverFirst[1]));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends one request, adding the server's own time to first token (ms) and a count to {@code serverSide}. */
    private static void timed(BenchmarkServer server, URI uri, String body, double[] serverSide) throws Exception {
        double before = serverMillis(server);
        timeToFirstToken(uri, body);
        serverSide[0] += serverMillis(server) - before;
        serverSide[1]++;
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

    private static double timeToFirstToken(URI uri, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long sent = System.nanoTime();
        Double millis = null;
        try {
            HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection(); // kept alive by the JDK
            connection.setRequestMethod("POST");
            connection.setRequestProperty("Content-Type", "application/json");
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(bytes.length);
            try (OutputStream out = connection.getOutputStream()) {
                out.write(bytes);
            }
            if (connection.getResponseCode() != 200) {
                try (InputStream error = connection.getErrorStream()) {
                    throw new IllegalStateException("/v1/chat/completions answered " + connection.getResponseCode()
                            + ": " + (error == null ? "" : new String(error.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (millis == null && line.contains("\"expert_weights\":[[")) { // a chunk with a token
                        millis = (System.nanoTime() - sent) / 1e6;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (millis == null) {
            throw new IllegalStateException("the stream ended without a token");
        }
        return millis;
    }
}
