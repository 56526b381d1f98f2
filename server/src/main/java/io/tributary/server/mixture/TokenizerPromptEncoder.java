package io.tributary.server.mixture;

import io.tributary.model.image.ImageDecoder;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.ImageTooLargeException;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.server.chat.ChatTemplate;
import io.tributary.server.config.TributaryProperties;

import java.util.List;
import java.util.Optional;

/** The prompt encoder of a loaded mixture: its shared tokenizer and its experts' image placeholder. */
final class TokenizerPromptEncoder implements PromptEncoder {

    private final HfTokenizer tokenizer;
    private final Optional<String> imagePlaceholder;
    private final ImageDecoder images;
    private final Optional<ChatTemplate> chatTemplate;

    TokenizerPromptEncoder(
            HfTokenizer tokenizer,
            Optional<String> imagePlaceholder,
            ImageLimits limits,
            Optional<ChatTemplate> chatTemplate) {
        this.tokenizer = tokenizer;
        this.imagePlaceholder = imagePlaceholder;
        this.images = new ImageDecoder(limits);
        this.chatTemplate = chatTemplate;
    }

    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    @Override
    public int[] encodeRendered(String text) {
        return tokenizer.encodeWithoutSpecialTokens(text);
    }

    @Override
    public List<Token> tokenize(String text) {
        return tokenizer.tokenize(text).stream()
                .map(span -> new Token(span.id(), span.text(), span.start(), span.stop()))
                .toList();
    }

    @Override
    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplate;
    }

    @Override
    public Optional<String> imagePlaceholder() {
        return imagePlaceholder;
    }

    @Override
    public void checkImage(ImageInput image) {
        try {
            images.decode(image); // the same decoder and limits the experts use: what passes here, they can read
        } catch (ImageTooLargeException e) {
            throw new ImageRefusedException(tooLarge(e), e);
        }
    }

    /** Names the setting that an operator would raise, as every limit's error does. */
    static String tooLarge(ImageTooLargeException e) {
        return switch (e.limit()) {
            case ENCODED_BYTES ->
                "the image is " + e.actual() + " bytes, which exceeds " + TributaryProperties.Limits.MAX_IMAGE_BYTES
                        + " (" + e.maximum() + " bytes)";
            case PIXELS ->
                "the image has " + e.actual() + " pixels (width x height), which exceeds "
                        + TributaryProperties.Limits.MAX_IMAGE_PIXELS + " (" + e.maximum() + ")";
        };
    }
}
