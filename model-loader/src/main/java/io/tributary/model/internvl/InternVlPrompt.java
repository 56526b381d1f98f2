package io.tributary.model.internvl;

import io.tributary.routing.refusal.ImageRefusedException;

import java.util.Arrays;

/**
 * A prompt with each image's single {@code <IMG_CONTEXT>} placeholder expanded as InternVL's processors expand it:
 * {@code <img>}, then {@code <IMG_CONTEXT>} x (tokensPerTile x tiles of that image), then {@code </img>}. The
 * vision features fill the {@code <IMG_CONTEXT>} positions, in order; {@code <img>} and {@code </img>} are embedded
 * like any token.
 *
 * @param tokenIds     one per position
 * @param text         {@code text[t]}: position t is one of the prompt's own tokens, scored by the prompt's
 *                     likelihood. The inserted {@code <img>}, {@code </img>} and context positions are not: they
 *                     are this family's rendering of the image, which other families of a mixture render otherwise
 * @param featureRuns  for each image, {@code [first position, positions]} of its {@code <IMG_CONTEXT>} run
 */
record InternVlPrompt(int[] tokenIds, boolean[] text, int[][] featureRuns) {

    /**
     * @param tilesPerImage tiles (thumbnail included) each image was cut into, in order of appearance
     * @throws ImageRefusedException if the prompt's placeholders are not exactly one per image
     */
    static InternVlPrompt expand(int[] prompt, InternVlSpecialTokens tokens, int tokensPerTile, int[] tilesPerImage) {
        checkPlaceholders(prompt, tokens, tilesPerImage.length);
        int placeholder = tokens.imageContext();
        int length = prompt.length;
        for (int tiles : tilesPerImage) {
            length += 1 + tokensPerTile * tiles; // <img> + features + </img>, replacing the placeholder
        }
        int[] ids = new int[length];
        boolean[] text = new boolean[length];
        int[][] runs = new int[tilesPerImage.length][];
        int position = 0;
        int image = 0;
        for (int id : prompt) {
            if (id != placeholder) {
                ids[position] = id;
                text[position++] = true;
                continue;
            }
            int features = tokensPerTile * tilesPerImage[image];
            ids[position++] = tokens.imageStart();
            runs[image++] = new int[] {position, features};
            Arrays.fill(ids, position, position + features, placeholder);
            position += features;
            ids[position++] = tokens.imageEnd();
        }
        return new InternVlPrompt(ids, text, runs);
    }

    /** @throws ImageRefusedException if the prompt's placeholders are not exactly one per image */
    static void checkPlaceholders(int[] prompt, InternVlSpecialTokens tokens, int images) {
        long found =
                Arrays.stream(prompt).filter(id -> id == tokens.imageContext()).count();
        if (found != images) {
            throw new ImageRefusedException("the prompt has " + found + " image placeholder token(s) ("
                    + InternVlSpecialTokens.IMG_CONTEXT + ", id " + tokens.imageContext() + ") for " + images
                    + " image(s): each image needs exactly one placeholder");
        }
    }

    int length() {
        return tokenIds.length;
    }

    /** Total {@code <IMG_CONTEXT>} positions: the rows of image features the prompt needs. */
    int featurePositions() {
        return Arrays.stream(featureRuns).mapToInt(run -> run[1]).sum();
    }
}
