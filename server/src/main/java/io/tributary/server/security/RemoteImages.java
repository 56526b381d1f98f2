package io.tributary.server.security;

import io.tributary.routing.ImageInput;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.serving.ImageFetcher;
import io.tributary.server.serving.RequestValidationException;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Fetches an image a request names by {@code http(s)} URL, when the operator allows it: only from the listed hosts,
 * only if every address the host resolves to is public, without following redirects (which could lead anywhere),
 * within a size cap and a timeout. Off by default.
 *
 * <p>The host is resolved once: the addresses that passed the check are the ones connected to (the client is given
 * them instead of resolving again), so a host whose DNS its owner switches after the check (rebinding) cannot lead
 * the fetch into the server's own networks. TLS still verifies the certificate against the host's name.
 */
@Component
public class RemoteImages implements ImageFetcher {

    /** Resolves a host name to its addresses; {@link InetAddress#getAllByName} but in tests. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private static final Set<String> MEDIA_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/bmp");

    private final TributaryProperties.RemoteImages settings;
    private final Function<InetAddress, String> addressPolicy;
    private final Resolver resolver;
    private final OkHttpClient client;

    @Autowired
    public RemoteImages(TributaryProperties properties) {
        this(properties.security().remoteImages(), PublicAddresses::refusal);
    }

    /** @param addressPolicy why an address may not be fetched from, or {@code null} when it may */
    RemoteImages(TributaryProperties.RemoteImages settings, Function<InetAddress, String> addressPolicy) {
        this(settings, addressPolicy, InetAddress::getAllByName);
    }

    RemoteImages(
            TributaryProperties.RemoteImages settings, Function<InetAddress, String> addressPolicy, Resolver resolver) {
        this.settings = settings;
        this.addressPolicy = addressPolicy;
        this.resolver = resolver;
        // The whole call, body included, must end within the timeout: a server that drips its body is cut off.
        this.client = new OkHttpClient.Builder()
                .followRedirects(false)
                .followSslRedirects(false)
                .callTimeout(settings.timeout())
                .connectTimeout(settings.timeout())
                .retryOnConnectionFailure(false)
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
        List<InetAddress> checked = checkAddresses(uri.getHost(), label);
        // Connections are pooled by address, resolver included: this fetch's, pinned to what was checked.
        OkHttpClient pinned =
                client.newBuilder().dns(pin(uri.getHost(), checked)).build();
        Request request = new Request.Builder()
                .url(uri.toString())
                .header("Accept", "image/png, image/jpeg, image/gif, image/bmp")
                .get()
                .build();
        try (Response response = pinned.newCall(request).execute()) {
            if (response.code() != 200) {
                throw new RequestValidationException(label + ": fetching it answered HTTP " + response.code()
                        + (response.code() / 100 == 3 ? " (redirects are not followed)" : ""));
            }
            String mediaType =
                    response.header("Content-Type", "").split(";")[0].strip().toLowerCase(Locale.ROOT);
            if (!MEDIA_TYPES.contains(mediaType)) {
                throw new RequestValidationException(
                        label + ": the URL served " + (mediaType.isEmpty() ? "no content type" : mediaType)
                                + ", not a PNG, JPEG, GIF or BMP image");
            }
            return new ImageInput(readCapped(response.body().byteStream(), label), mediaType);
        } catch (InterruptedIOException e) {
            throw timedOut(label);
        } catch (IOException e) {
            throw new RequestValidationException(label + ": cannot fetch it: " + e.getMessage());
        }
    }

    /** The client's resolver for one fetch: the checked addresses of its host, and nothing for any other name. */
    private static Dns pin(String host, List<InetAddress> checked) {
        return hostname -> {
            if (!hostname.equalsIgnoreCase(host)) {
                throw new UnknownHostException(hostname + " is not the host that was checked");
            }
            return checked;
        };
    }

    private RequestValidationException timedOut(String label) {
        return new RequestValidationException(label + ": fetching it took longer than "
                + settings.timeout().toMillis() + " ms (tributary.security.remote-images.timeout)");
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

    /** Resolves the host once; every address must be allowed, and these are the only ones connected to. */
    private List<InetAddress> checkAddresses(String host, String label) {
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
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
        return List.of(addresses);
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
