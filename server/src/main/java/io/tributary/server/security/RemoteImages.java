package io.tributary.server.security;

import io.tributary.routing.ImageInput;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.serving.ImageFetcher;
import io.tributary.server.serving.RequestValidationException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Fetches an image a request names by {@code http(s)} URL, when the operator allows it: only from the listed hosts,
 * only if every address the host resolves to is public, without following redirects (which could lead anywhere),
 * within a size cap and a timeout. Off by default.
 *
 * <p>The host is resolved here and again by the HTTP client; a host whose DNS its owner switches between the two
 * (rebinding) could slip through, which is why the allow-list names hosts the operator trusts.
 */
@Component
public class RemoteImages implements ImageFetcher {

    private static final Set<String> MEDIA_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/bmp");

    private final TributaryProperties.RemoteImages settings;
    private final Function<InetAddress, String> addressPolicy;
    private final HttpClient client;
    /** Closes a body still being read at its deadline: the request timeout covers only the response's headers. */
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(work -> {
        Thread thread = new Thread(work, "tributary-image-fetch-deadline");
        thread.setDaemon(true);
        return thread;
    });

    @Autowired
    public RemoteImages(TributaryProperties properties) {
        this(properties.security().remoteImages(), PublicAddresses::refusal);
    }

    /** @param addressPolicy why an address may not be fetched from, or {@code null} when it may */
    RemoteImages(TributaryProperties.RemoteImages settings, Function<InetAddress, String> addressPolicy) {
        this.settings = settings;
        this.addressPolicy = addressPolicy;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout())
                .build();
    }

    /**
     * @param label how errors name the image ("image 2", "messages[0].content[1].image_url.url")
     * @throws RequestValidationException saying why the image cannot be had
     */
    @Override
    public ImageInput fetch(String url, String label) {
        if (!settings.enabled()) {
            throw new RequestValidationException(label + ": images by URL are turned off on this server ("
                    + TributaryProperties.RemoteImages.ENABLED + "); send the image inline as a base64 data URI");
        }
        URI uri = parse(url, label);
        checkAddresses(uri.getHost(), label);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(settings.timeout())
                .header("Accept", "image/png, image/jpeg, image/gif, image/bmp")
                .GET()
                .build();
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            InputStream body = response.body();
            ScheduledFuture<?> watchdog =
                    DEADLINES.schedule(() -> closeQuietly(body), deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            try (body) {
                if (response.statusCode() != 200) {
                    throw new RequestValidationException(label + ": fetching it answered HTTP " + response.statusCode()
                            + (response.statusCode() / 100 == 3 ? " (redirects are not followed)" : ""));
                }
                String mediaType = response.headers()
                        .firstValue("Content-Type")
                        .orElse("")
                        .split(";")[0]
                        .strip()
                        .toLowerCase(Locale.ROOT);
                if (!MEDIA_TYPES.contains(mediaType)) {
                    throw new RequestValidationException(
                            label + ": the URL served " + (mediaType.isEmpty() ? "no content type" : mediaType)
                                    + ", not a PNG, JPEG, GIF or BMP image");
                }
                return new ImageInput(readCapped(body, label), mediaType);
            } finally {
                watchdog.cancel(false);
            }
        } catch (HttpTimeoutException e) {
            throw timedOut(label);
        } catch (IOException e) {
            if (System.nanoTime() - deadline >= 0) {
                throw timedOut(label);
            }
            throw new RequestValidationException(label + ": cannot fetch it: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestValidationException(label + ": the fetch was interrupted");
        }
    }

    private RequestValidationException timedOut(String label) {
        return new RequestValidationException(label + ": fetching it took longer than "
                + settings.timeout().toMillis() + " ms (tributary.security.remote-images.timeout)");
    }

    private static void closeQuietly(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // the reader sees the stream closed and reports the timeout
        }
    }

    private URI parse(String url, String label) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new RequestValidationException(label + ": not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getUserInfo() != null) {
            throw new RequestValidationException(
                    label + ": only http(s) URLs with a host (and no user name) or " + "base64 data URIs are accepted");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (settings.allowedHosts().stream().noneMatch(allowed -> matches(allowed.toLowerCase(Locale.ROOT), host))) {
            throw new RequestValidationException(
                    label + ": host " + host + " is not in " + TributaryProperties.RemoteImages.ALLOWED_HOSTS);
        }
        return uri;
    }

    /** {@code example.com} matches itself; {@code *.example.com} matches its subdomains. */
    private static boolean matches(String allowed, String host) {
        return allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : host.equals(allowed);
    }

    private void checkAddresses(String host, String label) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new RequestValidationException(label + ": host " + host + " cannot be resolved");
        }
        for (InetAddress address : addresses) {
            String refusal = addressPolicy.apply(address);
            if (refusal != null) {
                throw new RequestValidationException(label + ": host " + host + " resolves to " + refusal + " ("
                        + address.getHostAddress() + "); images are never fetched from the server's own networks");
            }
        }
    }

    private byte[] readCapped(InputStream body, String label) throws IOException {
        long cap = settings.maxBytes().toBytes();
        byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, cap + 1));
        if (bytes.length > cap) {
            throw new RequestValidationException(label + ": the image is larger than " + cap
                    + " bytes (tributary.security.remote-images.max-bytes)");
        }
        return bytes;
    }
}
