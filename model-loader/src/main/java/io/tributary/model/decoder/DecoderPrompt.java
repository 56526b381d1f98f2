package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a session's first step feeds the decoder: one token id per position (an image position carries its
 * placeholder id), which positions are the prompt's own text, and how to embed the positions.
 *
 * @param tokenIds one per position, length T
 * @param text     {@code text[t]}: position t holds a text token, so {@code log p(tokenIds[t] | < t)} counts in the
 *                 prompt's likelihood (position 0 never does: nothing predicts it)
 * @param embedder the [T, H] input embeddings, computed inside the prefill step
 */
public record DecoderPrompt(int[] tokenIds, boolean[] text, Embedder embedder) {

    /** Computes a prompt's input embeddings [T, H], in the weights' type, owned by {@code step}. */
    @FunctionalInterface
    public interface Embedder {
        NDArray embed(LlamaModel model, NDManager step);
    }

    public DecoderPrompt {
        Objects.requireNonNull(embedder, "embedder");
        if (tokenIds.length == 0 || tokenIds.length != text.length) {
            throw new IllegalArgumentException(tokenIds.length + " positions, " + text.length + " text flags");
        }
        tokenIds = tokenIds.clone();
        text = text.clone();
    }

    /** A text-only prompt: every position a text token, embedded by the token embedding table. */
    public static DecoderPrompt text(int[] tokenIds) {
        int[] ids = tokenIds.clone();
        boolean[] text = new boolean[ids.length];
        Arrays.fill(text, true);
        return new DecoderPrompt(ids, text, (model, step) -> model.embedTokens(ids, step));
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public boolean[] text() {
        return text.clone();
    }

    /** Whether every position is a text token (no image), so any span embeds from the token table alone. */
    public boolean allText() {
        for (boolean t : text) {
            if (!t) {
                return false;
            }
        }
        return true;
    }

    public int length() {
        return tokenIds.length;
    }
}
