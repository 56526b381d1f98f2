package io.tributary.routing;

/**
 * The state of one request inside one expert: its KV cache and position.
 *
 * <p>Confined to one thread at a time (the scheduler steps a generation on one thread), never shared.
 * The protocol is strictly alternating: {@link #nextLogProbs()}, then {@link #append(int)} of the token the
 * mixture chose, then {@link #nextLogProbs()} again. Every active expert is fed the same token.
 */
public interface ExpertSession extends AutoCloseable {

    /**
     * Natural-log probabilities of the next token given the prompt and all appended tokens:
     * length {@link Expert#vocabularySize()}, {@code logsumexp == 0}. The array is the caller's to keep.
     */
    float[] nextLogProbs();

    /**
     * Feeds the token chosen by the mixture, extending this expert's context by one position. Implementations
     * may defer the forward pass until the next {@link #nextLogProbs()}: an expert the router skips for a few
     * steps then catches up in one batched pass instead of paying for steps nobody reads.
     */
    void append(int tokenId);

    /**
     * The natural-log likelihood the expert gives the prompt's own text: {@code Σ_{t>1} log p(x_t | x_<t, images)}
     * over the prompt's token ids (image positions excluded). The posterior router weighs experts by it (Bayes'
     * rule on the experts' likelihoods). Must be called before the first {@link #nextLogProbs()}: it is computed
     * with the prefill, which it may run.
     *
     * @throws UnsupportedOperationException if this expert cannot score prompts
     */
    default double promptLogLikelihood() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot score prompts");
    }

    /** Number of positions in this session's context (prompt plus appended tokens). */
    int length();

    /** Frees the session's native memory (KV cache). Idempotent. */
    @Override
    void close();
}
