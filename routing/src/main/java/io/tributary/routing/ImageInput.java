package io.tributary.routing;

import java.util.Objects;

/** An image as the client sent it (PNG, JPEG, ...): decoding and preprocessing belong to each expert. */
public record ImageInput(byte[] bytes, String mediaType) {

    public ImageInput {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(mediaType, "mediaType");
    }
}
