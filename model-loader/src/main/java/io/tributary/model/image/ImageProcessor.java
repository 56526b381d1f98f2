package io.tributary.model.image;

import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;

import java.util.List;

/**
 * Turns an image as the client sent it into the tensors one vision family expects (CLIP's single resized crop,
 * InternVL's dynamic tiles plus a thumbnail), matching the family's Hugging Face processor.
 */
public interface ImageProcessor {

    /**
     * @return one entry per tile the vision encoder reads, in order (a single entry for CLIP)
     * @throws ImageRefusedException with a client-facing message when the bytes are not a readable image, are
     *                               truncated or corrupt, or exceed the size limits
     */
    List<PixelValues> process(ImageInput image);

    /**
     * How many tiles {@link #process} gives for {@code image}. Processors whose tiling depends only on the image's
     * size read it from the header instead of decoding the pixels.
     *
     * @throws ImageRefusedException as {@link #process} would
     */
    default int tileCount(ImageInput image) {
        return process(image).size();
    }
}
