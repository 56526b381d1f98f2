package io.tributary.server.serving;

import io.tributary.routing.ImageInput;

/** Gets an image a request names by {@code http(s)} URL rather than sending inline. */
@FunctionalInterface
public interface ImageFetcher {

    /** Refuses every URL: only inline data URIs are read. */
    ImageFetcher NONE = (url, label) -> {
        throw new RequestValidationException(label + ": only base64 data URIs are accepted, not a URL");
    };

    /**
     * @param label how errors name the image ("image 2", "messages[0].content[1].image_url.url")
     * @throws RequestValidationException saying why the image cannot be had
     */
    ImageInput fetch(String url, String label);
}
