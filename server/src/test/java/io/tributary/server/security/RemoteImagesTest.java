package io.tributary.server.security;

import com.sun.net.httpserver.HttpServer;
import io.tributary.routing.ImageInput;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.serving.RequestValidationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Remote images against a real HTTP server on this machine. Loopback is refused by the real policy, so the
 * success paths use a policy that lets loopback through; the last test shows the real one refusing it.
 */
class RemoteImagesTest {

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    private HttpServer server;
    private String base;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/cat.png", exchange -> respond(exchange, 200, "image/png", PNG));
        server.createContext("/big.png", exchange -> respond(exchange, 200, "image/png", new byte[4096]));
        server.createContext("/page.html", exchange -> respond(exchange, 200, "text/html", "<html>".getBytes()));
        server.createContext("/moved", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data");
            respond(exchange, 302, "text/plain", new byte[0]);
        });
        server.createContext("/slow.png", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PNG, 0, 2);
                out.flush();
                Thread.sleep(3_000); // headers arrive at once, the body drips
                out.write(PNG, 2, PNG.length - 2);
            } catch (Exception ignored) {
                // the client hung up
            }
        });
        server.start();
        base = "http://localhost:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void fetchesAnImageFromAnAllowedHost() {
        ImageInput image = loopbackAllowed(settings(List.of("localhost"))).fetch(base + "/cat.png", "image 1");
        assertThat(image.bytes()).isEqualTo(PNG);
        assertThat(image.mediaType()).isEqualTo("image/png");
    }

    @Test
    void refusesWhatTheRulesDoNotAllow() {
        RemoteImages images = loopbackAllowed(settings(List.of("localhost")));
        expectRefusal(images, base + "/big.png", "larger than 1024 bytes (tributary.security.remote-images.max-bytes)");
        expectRefusal(images, base + "/page.html", "served text/html, not a PNG");
        expectRefusal(images, base + "/moved", "HTTP 302 (redirects are not followed)");
        expectRefusal(images, base + "/missing.png", "HTTP 404");
        expectRefusal(images, base + "/slow.png", "took longer than 1000 ms");
        expectRefusal(images, "file:///etc/passwd", "only http(s) URLs");
        expectRefusal(images, "http://user:pw@localhost/cat.png", "only http(s) URLs");
        expectRefusal(
                loopbackAllowed(settings(List.of("*.example.com"))),
                base + "/cat.png",
                "host localhost is not in tributary.security.remote-images.allowed-hosts");
    }

    @Test
    void isOffUnlessTurnedOn() {
        RemoteImages off = new RemoteImages(
                new TributaryProperties.RemoteImages(false, List.of(), DataSize.ofKilobytes(1), Duration.ofSeconds(1)),
                address -> null);
        expectRefusal(off, base + "/cat.png", "images by URL are turned off");
    }

    @Test
    void neverFetchesFromTheServersOwnNetworksEvenWhenTheHostIsAllowed() {
        RemoteImages images = new RemoteImages(settings(List.of("localhost")), PublicAddresses::refusal);
        expectRefusal(images, base + "/cat.png", "resolves to a loopback address");
    }

    /**
     * DNS rebinding: the name answers an allowed address when checked and the server's own (loopback, where the
     * "internal" service listens) when asked again. The fetch goes to the address that was checked, never reaching
     * the internal service.
     */
    @Test
    void aHostThatResolvesDifferentlyTheSecondTimeStillReachesOnlyTheAddressThatWasChecked() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        InetAddress allowed = InetAddress.getByName("127.0.0.2"); // nothing listens there on the server's port
        InetAddress internal = InetAddress.getLoopbackAddress();
        RemoteImages images = new RemoteImages(
                settings(List.of("images.example")),
                address -> address.equals(allowed) ? null : "the server's own network",
                host -> new InetAddress[] {lookups.getAndIncrement() == 0 ? allowed : internal});
        AtomicInteger reached = new AtomicInteger();
        server.createContext("/internal.png", exchange -> {
            reached.incrementAndGet();
            respond(exchange, 200, "image/png", PNG);
        });

        assertThatThrownBy(() -> images.fetch(
                        "http://images.example:" + server.getAddress().getPort() + "/internal.png", "image 1"))
                .isInstanceOf(RequestValidationException.class)
                .hasMessageContaining("cannot fetch it");
        assertThat(lookups).as("resolved once, for the check").hasValue(1);
        assertThat(reached).as("the internal service was never asked").hasValue(0);
    }

    @Test
    void aCheckedAddressIsTheOneFetchedFrom() {
        RemoteImages images = new RemoteImages(
                settings(List.of("images.example")),
                address -> address.isLoopbackAddress() ? null : "not loopback",
                host -> new InetAddress[] {InetAddress.getLoopbackAddress()});

        ImageInput image =
                images.fetch("http://images.example:" + server.getAddress().getPort() + "/cat.png", "image 1");

        assertThat(image.bytes()).isEqualTo(PNG);
    }

    private static TributaryProperties.RemoteImages settings(List<String> hosts) {
        return new TributaryProperties.RemoteImages(true, hosts, DataSize.ofKilobytes(1), Duration.ofSeconds(1));
    }

    private static RemoteImages loopbackAllowed(TributaryProperties.RemoteImages settings) {
        return new RemoteImages(
                settings, address -> address.isLoopbackAddress() ? null : PublicAddresses.refusal(address));
    }

    private static void expectRefusal(RemoteImages images, String url, String message) {
        assertThatThrownBy(() -> images.fetch(url, "image 1"))
                .as(url)
                .isInstanceOf(RequestValidationException.class)
                .hasMessageStartingWith("image 1: ")
                .hasMessageContaining(message);
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String type, byte[] body)
            throws java.io.IOException {
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
