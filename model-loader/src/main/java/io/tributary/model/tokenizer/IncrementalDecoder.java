package io.tributary.model.tokenizer;

import io.tributary.routing.Detokenizer;

import java.util.Arrays;

/**
 * Streams text token by token without ever emitting half a character (the technique of text-generation-inference).
 * A byte-level token may carry only part of a UTF-8 character, which decodes to U+FFFD until the rest arrives; and
 * some decoders change how a token reads depending on what precedes it. So each step decodes a short window twice,
 * {@code [prefix, read)} and {@code [prefix, end)}, and emits the difference only once it no longer ends in U+FFFD.
 */
final class IncrementalDecoder implements Detokenizer.Stream {

    private static final char REPLACEMENT = '\uFFFD';

    private final HfTokenizer tokenizer;
    private long[] ids = new long[32];
    private int size;
    private int prefixOffset; // start of the context window decoded with the new tokens
    private int readOffset; // tokens before this have been emitted

    IncrementalDecoder(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public String append(int tokenId) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = tokenId;
        String emitted = tokenizer.decode(ids, prefixOffset, readOffset);
        String extended = tokenizer.decode(ids, prefixOffset, size);
        if (extended.length() > emitted.length() && extended.charAt(extended.length() - 1) != REPLACEMENT) {
            prefixOffset = readOffset;
            readOffset = size;
            return extended.substring(emitted.length());
        }
        return "";
    }

    /** Whatever is held back, even an incomplete character (the generation ended inside it). */
    @Override
    public String flush() {
        String emitted = tokenizer.decode(ids, prefixOffset, readOffset);
        String extended = tokenizer.decode(ids, prefixOffset, size);
        prefixOffset = size;
        readOffset = size;
        return extended.length() > emitted.length() ? extended.substring(emitted.length()) : "";
    }
}
