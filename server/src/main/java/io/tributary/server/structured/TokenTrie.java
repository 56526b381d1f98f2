package io.tributary.server.structured;

import java.util.Arrays;

/**
 * A vocabulary as a trie over byte classes, in preorder, for finding every token an automaton can read from a
 * state in one forward scan. Bytes the automaton never tells apart share a class, so tokens that differ only in
 * such bytes share a path: a 150k vocabulary reduces to far fewer nodes.
 *
 * <p>Node {@code n} is reached from its parent by a byte of class {@code classOf[n]}; its parent is the nearest
 * node before it with depth {@code depth[n] - 1}; its subtree ends before {@code subtreeEnd[n]}; the tokens that
 * end there are {@code tokens[tokensFrom[n] .. tokensFrom[n + 1])}.
 */
final class TokenTrie {

    final byte[] depth; // up to 255 bytes per token: longer ones are left out (no vocabulary has them)
    final short[] classOf;
    final int[] subtreeEnd;
    final int[] tokensFrom;
    final int[] tokens;
    final int maxDepth;

    private TokenTrie(byte[] depth, short[] classOf, int[] subtreeEnd, int[] tokensFrom, int[] tokens, int maxDepth) {
        this.depth = depth;
        this.classOf = classOf;
        this.subtreeEnd = subtreeEnd;
        this.tokensFrom = tokensFrom;
        this.tokens = tokens;
        this.maxDepth = maxDepth;
    }

    int size() {
        return depth.length;
    }

    /**
     * The ids of the tokens that may be generated (bytes neither {@code null} nor empty, nor longer than 255) in
     * unsigned lexicographic order of their bytes: computed once per vocabulary. Byte classes are intervals in byte
     * order, so this is nearly the order of the tokens' class paths under any automaton, and sorting it into that
     * order is cheap.
     */
    static int[] byteOrder(byte[][] tokenBytes) {
        return java.util.stream.IntStream.range(0, tokenBytes.length)
                .filter(id -> tokenBytes[id] != null && tokenBytes[id].length > 0 && tokenBytes[id].length < 256)
                .boxed()
                .sorted((a, b) -> Arrays.compareUnsigned(tokenBytes[a], tokenBytes[b]))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * @param tokenBytes each token's bytes
     * @param byteOrder  {@link #byteOrder} of {@code tokenBytes}
     * @param byteClass  each byte's class (0 to 255 by unsigned value), non-decreasing in the byte
     */
    static TokenTrie of(byte[][] tokenBytes, int[] byteOrder, short[] byteClass) {
        short[][] paths = new short[tokenBytes.length][];
        Integer[] order = new Integer[byteOrder.length];
        for (int i = 0; i < byteOrder.length; i++) {
            int id = byteOrder[i];
            byte[] bytes = tokenBytes[id];
            paths[id] = new short[bytes.length];
            for (int b = 0; b < bytes.length; b++) {
                paths[id][b] = byteClass[bytes[b] & 0xFF];
            }
            order[i] = id;
        }
        // A merge sort that finds runs: the byte order leaves few out of place.
        Arrays.sort(order, (a, b) -> Arrays.compare(paths[a], paths[b]));

        Builder builder = new Builder(order.length);
        short[] previous = new short[0];
        for (int id : order) {
            short[] path = paths[id];
            int shared = Arrays.mismatch(previous, path);
            if (shared < 0) {
                shared = path.length; // the same path as the previous token: it ends at the same node
            }
            builder.closeDeeperThan(shared);
            for (int d = shared; d < path.length; d++) {
                builder.open(d, path[d]);
            }
            builder.endsHere(id);
            previous = path;
        }
        return builder.finish();
    }

    private static final class Builder {
        private byte[] depth = new byte[1024];
        private short[] classOf = new short[1024];
        private int[] subtreeEnd = new int[1024];
        private int[] tokensFrom = new int[1025];
        private final int[] tokens;
        private int nodes;
        private int tokenCount;
        private final int[] openAt = new int[257]; // the open node at each depth
        private int openDepth; // how many nodes are open: the path to the current node
        private int maxDepth;

        Builder(int tokens) {
            this.tokens = new int[tokens];
        }

        void closeDeeperThan(int keep) {
            while (openDepth > keep) {
                subtreeEnd[openAt[--openDepth]] = nodes;
            }
        }

        void open(int atDepth, short byteClass) {
            if (nodes == depth.length) {
                int grown = nodes * 2;
                depth = Arrays.copyOf(depth, grown);
                classOf = Arrays.copyOf(classOf, grown);
                subtreeEnd = Arrays.copyOf(subtreeEnd, grown);
                tokensFrom = Arrays.copyOf(tokensFrom, grown + 1);
            }
            depth[nodes] = (byte) atDepth;
            classOf[nodes] = byteClass;
            tokensFrom[nodes] = tokenCount;
            openAt[openDepth++] = nodes;
            maxDepth = Math.max(maxDepth, atDepth + 1);
            nodes++;
        }

        void endsHere(int token) {
            tokens[tokenCount++] = token; // nodes after this one start their tokens later
        }

        TokenTrie finish() {
            closeDeeperThan(0);
            tokensFrom[nodes] = tokenCount;
            return new TokenTrie(
                    Arrays.copyOf(depth, nodes),
                    Arrays.copyOf(classOf, nodes),
                    Arrays.copyOf(subtreeEnd, nodes),
                    Arrays.copyOf(tokensFrom, nodes + 1),
                    tokens,
                    maxDepth);
        }
    }
}
