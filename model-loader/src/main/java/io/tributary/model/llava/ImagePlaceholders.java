package io.tributary.model.llava;

import io.tributary.routing.refusal.ImageRefusedException;

import java.util.Arrays;

/**
 * A prompt with each image placeholder token expanded into the positions its features fill (transformers' LLaVA
 * processor does this expansion in the token ids; here the expert does it, see {@link io.tributary.routing.Prompt}).
 *
 * @param tokenIds    one per position; image positions hold the placeholder id
 * @param text        {@code text[t]}: position t is the prompt's text, not an image
 * @param imageStarts first position of each image's features, in order
 */
record ImagePlaceholders(int[] tokenIds, boolean[] text, int[] imageStarts) {

    /**
     * @throws ImageRefusedException if the placeholders in {@code prompt} are not exactly {@code images}
     */
    static ImagePlaceholders expand(int[] prompt, int placeholder, int tokensPerImage, int images) {
        long found = Arrays.stream(prompt).filter(id -> id == placeholder).count();
        if (found != images) {
            throw new ImageRefusedException("the prompt has " + found + " image placeholder token(s) (id " + placeholder
                    + ") for " + images + " image(s): each image needs exactly one placeholder");
        }
        int length = prompt.length + images * (tokensPerImage - 1);
        int[] ids = new int[length];
        boolean[] text = new boolean[length];
        int[] starts = new int[images];
        int position = 0;
        int image = 0;
        for (int id : prompt) {
            if (id == placeholder) {
                starts[image++] = position;
                Arrays.fill(ids, position, position + tokensPerImage, placeholder);
                position += tokensPerImage;
            } else {
                ids[position] = id;
                text[position++] = true;
            }
        }
        return new ImagePlaceholders(ids, text, starts);
    }

    int length() {
        return tokenIds.length;
    }

    /** The token ids of the text positions, in order. */
    int[] textTokenIds() {
        int[] out = new int[tokenIds.length];
        int count = 0;
        for (int t = 0; t < tokenIds.length; t++) {
            if (text[t]) {
                out[count++] = tokenIds[t];
            }
        }
        return Arrays.copyOf(out, count);
    }
}
