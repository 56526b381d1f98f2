package io.tributary.server.mixture;

import io.tributary.model.image.ImageDecoder;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.ImageTooLargeException;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.model.vision.EncodingKey;
import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.server.chat.ChatTemplate;
import io.tributary.server.config.TributaryProperties;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** The prompt encoder of a loaded mixture: its shared tokenizer and its experts' image placeholder. */
final class TokenizerPromptEncoder implements PromptEncoder {

    /** Images remembered as readable: a digest of 64 characters each. */
    static final int REMEMBERED_IMAGES = 4_096;

    private final HfTokenizer tokenizer;
    private final Optional<String> imagePlaceholder;
    private final Consumer<ImageInput> decodeWithinLimits;
    private final Optional<ChatTemplate> chatTemplate;
    // Digests of images that decoded within the limits. The same image again (another question about it, a retry) is
    // not decoded again only to be checked: a large JPEG takes milliseconds, its digest microseconds.
    private final Map<String, Boolean> readable = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_IMAGES;
        }
    };

    TokenizerPromptEncoder(
            HfTokenizer tokenizer,
            Optional<String> imagePlaceholder,
            ImageLimits limits,
            Optional<ChatTemplate> chatTemplate) {
        this(tokenizer, imagePlaceholder, new ImageDecoder(limits)::decode, chatTemplate);
    }

    /** @param decodeWithinLimits decodes an image as the experts will, throwing what they would */
    TokenizerPromptEncoder(
            HfTokenizer tokenizer,
            Optional<String> imagePlaceholder,
            Consumer<ImageInput> decodeWithinLimits,
            Optional<ChatTemplate> chatTemplate) {
        this.tokenizer = tokenizer;
        this.imagePlaceholder = imagePlaceholder;
        this.decodeWithinLimits = decodeWithinLimits;
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
        String digest = EncodingKey.imageDigest(image);
        synchronized (readable) {
            if (readable.get(digest) != null) {
                return;
            }
        }
        try {
            decodeWithinLimits.accept(image); // the decoder and limits the experts use: what passes here, they read
        } catch (ImageTooLargeException e) {
            throw new ImageRefusedException(tooLarge(e), e);
        }
        synchronized (readable) {
            readable.put(digest, Boolean.TRUE);
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
