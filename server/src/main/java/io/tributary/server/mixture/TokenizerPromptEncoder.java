package io.tributary.server.mixture;

import io.tributary.model.image.ImageDecoder;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.ImageInput;

import java.util.Optional;

/** The prompt encoder of a loaded mixture: its shared tokenizer and its experts' image placeholder. */
final class TokenizerPromptEncoder implements PromptEncoder {

    private final HfTokenizer tokenizer;
    private final Optional<String> imagePlaceholder;
    private final ImageDecoder images;

    TokenizerPromptEncoder(HfTokenizer tokenizer, Optional<String> imagePlaceholder, ImageLimits limits) {
        this.tokenizer = tokenizer;
        this.imagePlaceholder = imagePlaceholder;
        this.images = new ImageDecoder(limits);
    }

    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    @Override
    public Optional<String> imagePlaceholder() {
        return imagePlaceholder;
    }

    @Override
    public void checkImage(ImageInput image) {
        images.decode(image); // the same decoder and limits the experts use: what passes here, they can read
    }
}
