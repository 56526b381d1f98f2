package io.tributary.model.decoder;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link BlockKey}s of a sequence's blocks, from what its positions hold: the prompt's inputs, then the tokens of
 * its answer. A sequence's keys depend only on these, so a prompt can be looked up in a cache before it has a session.
 */
final class SequenceKeys {

    /**
     * The longest prefix of a sequence that a cache holds.
     *
     * @param blocks         the keys of its first whole blocks held, in order
     * @param next           the partial keys of the block after them, for 1, 2, ... of its first positions
     * @param partialMatched how many of {@code next} the cache holds (the longest held)
     */
    record Match(List<BlockKey> blocks, List<BlockKey> next, int partialMatched, int blockPositions) {

        /** Positions the cache holds. */
        int positions() {
            return blocks.size() * blockPositions + partialMatched;
        }
    }

    private static final int[] NO_ANSWER = new int[0];

    private final DecoderPrompt prompt;

    SequenceKeys(DecoderPrompt prompt) {
        this.prompt = prompt;
    }

    int promptLength() {
        return prompt.length();
    }

    /** What {@code cache} holds of the prompt's first {@code limit} positions. */
    Match match(PagedKvCache cache, int limit) {
        int blockPositions = cache.blockPositions();
        List<BlockKey> blocks = new ArrayList<>();
        for (int block = 0; block < limit / blockPositions; block++) {
            BlockKey key = full(block, blockPositions, blocks.isEmpty() ? null : blocks.get(block - 1), NO_ANSWER);
            if (!cache.holds(key)) {
                break;
            }
            blocks.add(key);
        }
        int rest = Math.min(blockPositions - 1, limit - blocks.size() * blockPositions);
        BlockKey parent = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1);
        List<BlockKey> next = partial(blocks.size(), blockPositions, parent, rest, NO_ANSWER);
        int matched = next.size();
        while (matched > 0 && !cache.holds(next.get(matched - 1))) {
            matched--;
        }
        return new Match(blocks, next, matched, blockPositions);
    }

    /**
     * The key of the prompt's last position (its block's full key, or its partial key where the prompt ends inside
     * the block), given {@code parent}, the key of the block before that one (null for the first): only that block's
     * positions are hashed.
     */
    BlockKey promptEnd(int blockPositions, BlockKey parent) {
        int block = (prompt.length() - 1) / blockPositions;
        int upTo = prompt.length() - block * blockPositions;
        return upTo == blockPositions
                ? full(block, blockPositions, parent, NO_ANSWER)
                : partial(block, blockPositions, parent, upTo, NO_ANSWER).get(upTo - 1);
    }

    /** The key of block {@code block} of {@code blockPositions}, full, after {@code parent} (null for the first). */
    BlockKey full(int block, int blockPositions, BlockKey parent, int[] answer) {
        MessageDigest contents = BlockKey.contents();
        for (int p = block * blockPositions; p < (block + 1) * blockPositions; p++) {
            feed(contents, p, answer);
        }
        return BlockKey.of(parent, contents);
    }

    /** The partial keys of block {@code block}'s first 1, 2, ..., {@code upTo} positions. */
    List<BlockKey> partial(int block, int blockPositions, BlockKey parent, int upTo, int[] answer) {
        return partial(block, blockPositions, parent, upTo, answer, BlockKey.contents());
    }

    /**
     * Every key a full block is kept under: the partial keys of its first 1, ..., {@code blockPositions - 1}
     * positions, then its full key, last, from one pass over its positions.
     */
    List<BlockKey> allKeys(int block, int blockPositions, BlockKey parent, int[] answer) {
        MessageDigest contents = BlockKey.contents();
        List<BlockKey> keys = partial(block, blockPositions, parent, blockPositions - 1, answer, contents);
        feed(contents, (block + 1) * blockPositions - 1, answer);
        keys.add(BlockKey.of(parent, contents));
        return keys;
    }

    private List<BlockKey> partial(
            int block, int blockPositions, BlockKey parent, int upTo, int[] answer, MessageDigest contents) {
        List<BlockKey> keys = new ArrayList<>(upTo + 1);
        for (int p = block * blockPositions; p < block * blockPositions + upTo; p++) {
            feed(contents, p, answer);
            keys.add(BlockKey.ofPartial(parent, contents));
        }
        return keys;
    }

    private void feed(MessageDigest contents, int p, int[] answer) {
        if (p < prompt.length()) {
            prompt.feed(contents, p);
        } else {
            BlockKey.feedToken(contents, answer[p - prompt.length()]);
        }
    }
}
