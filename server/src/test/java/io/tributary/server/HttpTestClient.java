package io.tributary.server;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A plain JDK HTTP client, so the tests see exactly the bytes a real client would. */
public final class HttpTestClient {

    public static final ObjectMapper JSON = JsonMapper.builder().build();
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public HttpTestClient(int port) {
        this.base = "http://localhost:" + port;
    }

    public HttpResponse<String> get(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A JSON post from a client that accepts only server-sent events, as streaming clients send. */
    public HttpResponse<String> postAcceptingEvents(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> postJson(String path, String body) throws Exception {
        return post(path, "application/json", body);
    }

    /**
     * The value of one Prometheus series in a fresh scrape of {@code /actuator/prometheus}, 0 when absent. A bare
     * name means the series with just the application tag.
     */
    public double metric(String series) throws Exception {
        return metrics().applyAsDouble(series);
    }

    /** The sum of every series of metric {@code name}, whatever its labels (all experts' counters, say). */
    public double metricTotal(String name) throws Exception {
        return get("/actuator/prometheus")
                .body()
                .lines()
                .filter(line -> line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** One scrape, to read several series from the same instant. */
    public java.util.function.ToDoubleFunction<String> metrics() throws Exception {
        String body = get("/actuator/prometheus").body();
        return series -> {
            String name = series.contains("{") ? series : series + "{application=\"tributary\"}";
            return body.lines()
                    .filter(line -> line.startsWith(name + " "))
                    .mapToDouble(line ->
                            Double.parseDouble(line.substring(name.length() + 1).trim()))
                    .findFirst()
                    .orElse(0.0);
        };
    }

    public static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    /** Posts to a server-sent-event endpoint and hands each {@code data:} payload to the consumer as it arrives. */
    public int stream(String path, String body, Consumer<JsonNode> onEvent) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data:")) {
                    onEvent.accept(JSON.readTree(line.substring(5)));
                }
            }
        }
        return response.statusCode();
    }

    /** Every line of a server-sent-event stream's body, blank separators included, exactly as sent. */
    public List<String> streamLines(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofLines()).body().toList();
    }

    /** Every {@code data:} payload of a server-sent-event stream as sent, JSON or not ({@code [DONE]}). */
    public List<String> streamData(String path, String body) throws Exception {
        return streamLines(path, body).stream()
                .filter(line -> line.startsWith("data:"))
                .map(line -> line.substring(5).strip())
                .toList();
    }

    public List<JsonNode> streamAll(String path, String body) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        stream(path, body, events::add);
        return events;
    }
}
