package io.tributary.routing;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a request asks the experts to continue: the prompt's token ids (experts of one mixture share one
 * vocabulary, so the prompt is tokenized once) and its images, still encoded, in order of appearance.
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
