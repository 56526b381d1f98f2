package io.tributary.routing;

import java.util.Optional;

/**
 * Turns generated token ids back into text for the decode loop, which knows nothing of tokenizers.
 * Implementations must be thread-safe; each generation takes its own {@link Stream}.
 */
public interface Detokenizer {

    /**
     * How many token ids the tokenizer knows. Checkpoints often pad their {@code lm_head} beyond it (to a multiple
     * of 64 or 128); the mixture never lets those rows be sampled.
     */
    int vocabularySize();

    /** A fresh incremental decoder for one generation. */
    Stream newStream();

    /** Whether the id is a special token (BOS, EOS, padding, image placeholders, ...). */
    boolean isSpecial(int tokenId);

    /**
     * The literal text of a special token ({@code </s>}), reported on its token event; it is never part of the
     * generated text.
     */
    default String specialTokenText(int tokenId) {
        return "";
    }

    /**
     * The text of one token on its own, for listing alternatives to the chosen token: a special token's literal
     * text, otherwise the token decoded alone (a byte of a multi-byte character may read as U+FFFD).
     */
    String tokenText(int tokenId);

    /**
     * Each token's bytes as it adds them to the text, indexed by id, {@code null} for a special token; empty when
     * the tokenizer cannot tell, and then the output cannot be constrained to a language. The bytes of one token
     * may end or begin inside a multi-byte character.
     */
    default Optional<byte[][]> tokenBytes() {
        return Optional.empty();
    }

    /**
     * Incremental detokenization: {@link #append(int)} returns the text that the new token completes. Text is
     * held back while it would end inside a multi-byte character or an unfinished merge, so concatenating the
     * pieces never shows a broken character; {@link #flush()} returns whatever is still held.
     */
    interface Stream {
        String append(int tokenId);

        String flush();
    }
}
