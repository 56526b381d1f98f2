package io.tributary.system.container;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.InputStream;
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

/** The HTTP calls a client of the server makes: JSON requests and server-sent event streams. */
final class Http {

    static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {}

    static HttpResponse<String> get(URI uri) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(URI uri, String json) throws Exception {
        return CLIENT.send(jsonPost(uri, json), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The value of the first Prometheus sample at {@code uri} whose series starts with {@code series} (a name, or a
     * name and the first of its labels).
     */
    static double metric(URI uri, String series) throws Exception {
        String exposition = get(uri).body();
        return exposition
                .lines()
                .filter(line -> line.startsWith(series))
                .findFirst()
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("no sample of " + series + " at " + uri));
    }

    /** Reads a {@code /generate_stream} response to its end, handing each event to {@code onEvent} as it comes. */
    static List<JsonNode> stream(URI uri, String json, Consumer<JsonNode> onEvent) throws Exception {
        HttpResponse<InputStream> response =
                CLIENT.send(jsonPost(uri, json), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new AssertionError("stream answered " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        List<JsonNode> events = new ArrayList<>();
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    JsonNode event = JSON.readTree(line.substring(5));
                    events.add(event);
                    onEvent.accept(event);
                }
            }
        }
        return events;
    }

    private static HttpRequest jsonPost(URI uri, String json) {
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
    }
}
