package io.tributary.server.structured;

import io.tributary.routing.constraint.OutputConstraint;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.ByteRunAutomaton;
import org.apache.lucene.util.automaton.TooComplexToDeterminizeException;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A language compiled against a vocabulary: a deterministic automaton over UTF-8 bytes, and for each of its states
 * the tokens whose bytes it can read from there without leaving the language. A token may end or begin inside a
 * character; only the bytes matter. The token sets are found on first use of a state, by one scan of the
 * vocabulary's {@link TokenTrie}, and kept: every request with the same format shares them.
 */
public final class TokenAutomaton implements OutputConstraint {

    private final ByteRunAutomaton bytes;
    private final boolean[] live; // the state can still reach an accepting one
    private final byte[][] tokenBytes;
    private final int[] endOfSequence;
    private final int[] classByte; // a byte of each class, to step the automaton by class
    private final TokenTrie trie;
    private final AtomicReferenceArray<TokenSet> allowed; // per state, found on first use
    private final java.util.concurrent.atomic.LongAdder scans = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder scanNanos = new java.util.concurrent.atomic.LongAdder();

    /**
     * @param language      the accepted texts, over Unicode code points
     * @param tokenBytes    each token's bytes ({@code null} for special tokens)
     * @param byteOrder     {@link TokenTrie#byteOrder} of {@code tokenBytes}
     * @param endOfSequence the tokens that end a generation
     */
    TokenAutomaton(Automaton language, byte[][] tokenBytes, int[] byteOrder, int[] endOfSequence) {
        try {
            this.bytes = new ByteRunAutomaton(Utf8.bytesOf(language), true, Languages.WORK_LIMIT);
        } catch (TooComplexToDeterminizeException e) {
            throw new ConstraintException("the format is too complex to compile (its byte automaton exceeded "
                    + Languages.WORK_LIMIT + " steps of work)");
        }
        this.tokenBytes = tokenBytes;
        this.endOfSequence = endOfSequence.clone();
        this.live = liveStates(bytes);
        int[] starts = bytes.getCharIntervals();
        short[] byteClass = new short[256];
        this.classByte = new int[starts.length];
        for (int c = 0; c < starts.length; c++) {
            int end = c + 1 < starts.length ? starts[c + 1] : 256;
            classByte[c] = starts[c];
            for (int b = starts[c]; b < Math.min(end, 256); b++) {
                byteClass[b] = (short) c;
            }
        }
        this.trie = TokenTrie.of(tokenBytes, byteOrder, byteClass);
        this.allowed = new AtomicReferenceArray<>(bytes.getSize());
    }

    /** States of the automaton, for reports. */
    public int states() {
        return bytes.getSize();
    }

    /** Nodes of the vocabulary's trie under this automaton's byte classes, for reports. */
    public int trieNodes() {
        return trie.size();
    }

    /** States whose tokens were found so far, and the time that took: what first requests pay. */
    public long scans() {
        return scans.sum();
    }

    public long scanNanos() {
        return scanNanos.sum();
    }

    @Override
    public OutputConstraint.State start() {
        return new Walk();
    }

    /** The tokens that can follow in {@code state}; found once per state. */
    TokenSet allowedAt(int state) {
        TokenSet tokens = allowed.get(state);
        if (tokens == null) {
            long started = System.nanoTime();
            tokens = TokenSet.of(scan(state));
            scanNanos.add(System.nanoTime() - started);
            scans.increment();
            allowed.compareAndSet(state, null, tokens);
        }
        return tokens;
    }

    private long[] scan(int state) {
        long[] tokens = new long[(tokenBytes.length + 63) / 64];
        int[] stateAtDepth = new int[trie.maxDepth + 1];
        stateAtDepth[0] = state;
        int nodes = trie.size();
        for (int node = 0; node < nodes; ) {
            int depth = trie.depth[node] & 0xFF;
            int next = bytes.step(stateAtDepth[depth], classByte[trie.classOf[node]]);
            if (next < 0 || !live[next]) {
                node = trie.subtreeEnd[node];
                continue;
            }
            stateAtDepth[depth + 1] = next;
            for (int i = trie.tokensFrom[node]; i < trie.tokensFrom[node + 1]; i++) {
                int token = trie.tokens[i];
                tokens[token >>> 6] |= 1L << token;
            }
            node++;
        }
        return tokens;
    }

    private int step(int state, int token) {
        byte[] spelled = token < tokenBytes.length ? tokenBytes[token] : null;
        if (spelled == null || spelled.length == 0) {
            return -1;
        }
        for (byte b : spelled) {
            state = bytes.step(state, b & 0xFF);
            if (state < 0) {
                return -1;
            }
        }
        return state;
    }

    private boolean isEndOfSequence(int token) {
        for (int eos : endOfSequence) {
            if (eos == token) {
                return true;
            }
        }
        return false;
    }

    /** States from which an accepting state can be reached: the others are dead ends. */
    private static boolean[] liveStates(ByteRunAutomaton automaton) {
        int size = automaton.getSize();
        boolean[] live = new boolean[size];
        for (int s = 0; s < size; s++) {
            live[s] = automaton.isAccept(s);
        }
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int s = 0; s < size; s++) {
                if (live[s]) {
                    continue;
                }
                for (int b = 0; b < 256 && !live[s]; b++) {
                    int next = automaton.step(s, b);
                    if (next >= 0 && live[next]) {
                        live[s] = true;
                        changed = true;
                    }
                }
            }
        }
        return live;
    }

    /** One generation's place: the automaton's state after the bytes generated so far. */
    private final class Walk implements OutputConstraint.State {
        private int state;
        private boolean ended;

        @Override
        public float[] mask(float[] logProbs) {
            float[] masked = new float[logProbs.length];
            Arrays.fill(masked, Float.NEGATIVE_INFINITY);
            if (ended) {
                return masked;
            }
            boolean any = allowedAt(state).copy(logProbs, masked);
            // End of sequence where the text is complete; also where no token of this vocabulary can go on, so
            // the generation ends rather than fails.
            if (bytes.isAccept(state) || !any) {
                for (int eos : endOfSequence) {
                    if (eos < logProbs.length) {
                        masked[eos] = any ? logProbs[eos] : 0;
                    }
                }
            }
            return masked;
        }

        @Override
        public void advance(int token) {
            if (isEndOfSequence(token)) {
                ended = true;
                return;
            }
            int next = step(state, token);
            if (next < 0) {
                throw new IllegalStateException("token " + token + " leaves the language; the mask allowed it");
            }
            state = next;
        }

        @Override
        public boolean complete() {
            if (ended) {
                return true;
            }
            if (!bytes.isAccept(state)) {
                return false;
            }
            return allowedAt(state).isEmpty();
        }
    }
}
