package io.tributary.server.structured;

/**
 * The tokens one state of a {@link TokenAutomaton} allows: their ids when few (after a key, a comma, a digit), a
 * bitmap when many (inside a string, where most of a vocabulary fits). A compiled format keeps one per state it
 * has visited, so the smaller form is kept.
 */
final class TokenSet {

    private final int[] ids; // null when dense
    private final long[] bits; // null when sparse

    private TokenSet(int[] ids, long[] bits) {
        this.ids = ids;
        this.bits = bits;
    }

    /** The set a bitmap holds, in whichever form is smaller. */
    static TokenSet of(long[] bits) {
        int count = 0;
        for (long word : bits) {
            count += Long.bitCount(word);
        }
        if (count * 32L >= bits.length * 64L) {
            return new TokenSet(null, bits); // an int per token would take more than a bit per id
        }
        int[] ids = new int[count];
        int next = 0;
        for (int word = 0; word < bits.length; word++) {
            for (long rest = bits[word]; rest != 0; rest &= rest - 1) {
                ids[next++] = (word << 6) + Long.numberOfTrailingZeros(rest);
            }
        }
        return new TokenSet(ids, null);
    }

    boolean isEmpty() {
        if (ids != null) {
            return ids.length == 0;
        }
        for (long word : bits) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Copies the scores of this set's tokens from {@code from} into {@code to}.
     *
     * @return whether any copied score is finite: some token can still be chosen
     */
    boolean copy(float[] from, float[] to) {
        boolean any = false;
        if (ids != null) {
            for (int token : ids) {
                if (token < from.length) {
                    to[token] = from[token];
                    any |= from[token] != Float.NEGATIVE_INFINITY;
                }
            }
            return any;
        }
        for (int word = 0; word < bits.length; word++) {
            for (long rest = bits[word]; rest != 0; rest &= rest - 1) {
                int token = (word << 6) + Long.numberOfTrailingZeros(rest);
                if (token < from.length) {
                    to[token] = from[token];
                    any |= from[token] != Float.NEGATIVE_INFINITY;
                }
            }
        }
        return any;
    }
}
