package io.tributary.tools.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** One streaming request to {@code /generate_stream}, timed per event: when each token arrived. */
final class StreamClient {

    /** Arrival times (nanoTime) of a request's token events, and when it was sent. */
    record Timing(long sentNanos, List<Long> tokenNanos) {

        long timeToFirstToken() {
            return tokenNanos.get(0) - sentNanos;
        }

        List<Long> interTokenLatencies() {
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i < tokenNanos.size(); i++) {
                gaps.add(tokenNanos.get(i) - tokenNanos.get(i - 1));
            }
            return gaps;
        }
    }

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI uri;

    StreamClient(int port) {
        this.uri = URI.create("http://localhost:" + port + "/generate_stream");
    }

    /** Streams one generation of {@code maxNewTokens} greedy tokens from {@code inputs}. */
    Timing generate(String inputs, int maxNewTokens) {
        String body = "{\"inputs\":" + quote(inputs) + ",\"parameters\":{\"max_new_tokens\":" + maxNewTokens + "}}";
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long sent = System.nanoTime();
        List<Long> arrivals = new ArrayList<>();
        try {
            HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("/generate_stream answered " + response.statusCode() + ": "
                        + String.join("\n", response.body().toList()));
            }
            try (Stream<String> lines = response.body()) {
                for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                    String line = it.next();
                    if (line.startsWith("data:")) {
                        if (line.contains("\"error\"")) {
                            throw new IllegalStateException("the stream failed: " + line);
                        }
                        arrivals.add(System.nanoTime());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (arrivals.isEmpty()) {
            throw new IllegalStateException("the stream ended without a token");
        }
        return new Timing(sent, arrivals);
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
