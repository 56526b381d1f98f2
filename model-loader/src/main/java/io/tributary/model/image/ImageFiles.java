package io.tributary.model.image;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The media type of an image file, from its name: what the tools and the playground send with its bytes. */
public final class ImageFiles {

    private static final Map<String, String> MEDIA_TYPES = Map.of(
            "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg", "gif", "image/gif", "bmp", "image/bmp");

    private ImageFiles() {}

    /** PNG, JPEG, GIF or BMP by the file's suffix (any case); empty for any other name. */
    public static Optional<String> mediaType(Path file) {
        String name = file.getFileName().toString();
        return Optional.ofNullable(
                MEDIA_TYPES.get(name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT)));
    }
}
