package io.tributary.server.mixture;

import io.tributary.routing.ImageInput;

import java.util.Optional;

/** How the HTTP layer turns a request's text and images into what the experts read. */
public interface PromptEncoder {

    /** Token ids of the text (experts of one mixture share one tokenizer). */
    int[] encode(String text);

    /** The text an image stands as in a prompt (LLaVA's {@code <image>}); empty when the experts read text only. */
    Optional<String> imagePlaceholder();

    /**
     * Checks, before the request is queued, that an image can be read within the size limits, so a bad image is
     * refused with a 4xx instead of failing a stream already under way.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    void checkImage(ImageInput image);
}
