package io.tributary.tools.bench;

import io.tributary.routing.Detokenizer;

import java.util.Set;

/**
 * A detokenizer for checkpoints without a tokenizer, which benchmarks feed token ids: each token reads as
 * {@code <id>}. It knows the vocabulary a real tokenizer of the model knows, so the mixture samples over the same ids.
 */
record TokenIds(int vocabularySize, Set<Integer> special) implements Detokenizer {

    @Override
    public Stream newStream() {
        return new Stream() {
            @Override
            public String append(int tokenId) {
                return isSpecial(tokenId) ? "" : tokenText(tokenId);
            }

            @Override
            public String flush() {
                return "";
            }
        };
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return special.contains(tokenId);
    }

    @Override
    public String tokenText(int tokenId) {
        return "<" + tokenId + ">";
    }
}
