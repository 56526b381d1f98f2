package io.tributary.routing.testing;

import io.tributary.routing.Detokenizer;

/** Token {@code i} reads as the letter {@code 'a' + i % 26}; a special token reads {@code <i>}. */
public final class LetterDetokenizer implements Detokenizer {

    private final java.util.Set<Integer> special;
    private final int vocabularySize;

    public LetterDetokenizer(int vocabularySize, java.util.Set<Integer> special) {
        this.special = special;
        this.vocabularySize = vocabularySize;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    public static String letter(int tokenId) {
        return String.valueOf((char) ('a' + tokenId % 26));
    }

    @Override
    public Stream newStream() {
        return new Stream() {
            @Override
            public String append(int tokenId) {
                return letter(tokenId);
            }

            @Override
            public String flush() {
                return "";
            }
        };
    }

    @Override
    public String tokenText(int tokenId) {
        return special.contains(tokenId) ? specialTokenText(tokenId) : letter(tokenId);
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return special.contains(tokenId);
    }

    @Override
    public String specialTokenText(int tokenId) {
        return "<" + tokenId + ">";
    }
}
