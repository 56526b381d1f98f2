package io.tributary.routing;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a request asks the experts to continue: the prompt's token ids (experts of one mixture share one
 * vocabulary, so the prompt is tokenized once) and its images, still encoded, in order of appearance.
 *
 * <p>Each image appears in the token ids as exactly one placeholder token of the experts' family (LLaVA's
 * {@code <image>}, InternVL's {@code <IMG_CONTEXT>}); each expert expands its placeholders into as many positions
 * as its vision encoder produces (576 for LLaVA-336, 256 per tile for InternVL), so experts may disagree on
 * positions but never on the text.
 */
public record Prompt(int[] tokenIds, List<ImageInput> images) {

    public Prompt {
        Objects.requireNonNull(tokenIds, "tokenIds");
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        tokenIds = tokenIds.clone();
        images = List.copyOf(images);
    }

    public static Prompt ofTokens(int... tokenIds) {
        return new Prompt(tokenIds, List.of());
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    public int length() {
        return tokenIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prompt p && Arrays.equals(tokenIds, p.tokenIds) && images.equals(p.images);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokenIds) + images.hashCode();
    }

    @Override
    public String toString() {
        return "Prompt[" + tokenIds.length + " tokens, " + images.size() + " images]";
    }
}
