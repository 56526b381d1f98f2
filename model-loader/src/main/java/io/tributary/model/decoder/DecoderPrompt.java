package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tributary.routing.ImageInput;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a session's first step feeds the decoder: one token id per position (an image position carries its
 * placeholder id), which positions are the prompt's own text, how to embed the positions, and what each image
 * position shows, so that cached keys and values are reused only for the same image.
 *
 * @param tokenIds one per position, length T
 * @param text     {@code text[t]}: position t holds a text token, so {@code log p(tokenIds[t] | < t)} counts in the
 *                 prompt's likelihood (position 0 never does: nothing predicts it)
 * @param embedder the [T, H] input embeddings, computed inside the prefill step
 * @param images   the positions each image fills and the SHA-256 of its encoded bytes; any other position is
 *                 embedded from its token id
 */
public record DecoderPrompt(int[] tokenIds, boolean[] text, Embedder embedder, List<ImageSpan> images) {

    /** Positions {@code [from, from + length)} show the image whose encoded bytes have SHA-256 {@code digest}. */
    public record ImageSpan(int from, int length, byte[] digest) {

        public ImageSpan {
            digest = digest.clone();
        }

        @Override
        public byte[] digest() {
            return digest.clone();
        }
    }

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
        images = List.copyOf(images);
        for (ImageSpan image : images) {
            for (int p = image.from(); p < image.from() + image.length(); p++) {
                if (p >= text.length || text[p]) {
                    throw new IllegalArgumentException("image span [" + image.from() + ", "
                            + (image.from() + image.length()) + ") covers a text position or none");
                }
            }
        }
    }

    /** A text-only prompt: every position a text token, embedded by the token embedding table. */
    public static DecoderPrompt text(int[] tokenIds) {
        int[] ids = tokenIds.clone();
        boolean[] text = new boolean[ids.length];
        Arrays.fill(text, true);
        return new DecoderPrompt(ids, text, (model, step) -> model.embedTokens(ids, step), List.of());
    }

    /**
     * A prompt in which image i fills positions {@code [starts[i], starts[i] + lengths[i])}; its other non-text
     * positions (markers around an image) are embedded as tokens.
     */
    public static DecoderPrompt withImages(
            int[] tokenIds, boolean[] text, Embedder embedder, List<ImageInput> images, int[] starts, int[] lengths) {
        if (images.size() != starts.length || images.size() != lengths.length) {
            throw new IllegalArgumentException(
                    images.size() + " images, " + starts.length + " starts, " + lengths.length + " lengths");
        }
        List<ImageSpan> spans = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            spans.add(new ImageSpan(
                    starts[i], lengths[i], BlockKey.sha256(images.get(i).bytes())));
        }
        return new DecoderPrompt(tokenIds, text, embedder, spans);
    }

    /** The same prompt, embedded by {@code embedder}. */
    public DecoderPrompt withEmbedder(Embedder embedder) {
        return new DecoderPrompt(tokenIds, text, embedder, images);
    }

    /** The position after the last image, 0 when there is none. */
    public int imagesEnd() {
        return images.stream()
                .mapToInt(image -> image.from() + image.length())
                .max()
                .orElse(0);
    }

    /** Whether position {@code from} or a later one shows an image. */
    public boolean hasImageFrom(int from) {
        return images.stream().anyMatch(image -> image.from() + image.length() > from);
    }

    /**
     * Feeds what position {@code p} holds to a block's digest: its token id, or its image's digest and its place in
     * the image.
     */
    void feed(java.security.MessageDigest digest, int p) {
        if (!text[p]) {
            for (ImageSpan image : images) {
                if (p >= image.from() && p < image.from() + image.length()) {
                    BlockKey.feedImage(digest, image.digest, p - image.from());
                    return;
                }
            }
        }
        BlockKey.feedToken(digest, tokenIds[p]);
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
