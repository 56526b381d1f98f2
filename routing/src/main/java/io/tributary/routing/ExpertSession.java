package io.tributary.routing;

import java.util.List;

/**
 * The state of one request inside one expert: its KV cache and position.
 *
 * <p>Confined to one thread at a time (the scheduler steps a generation on one thread), never shared.
 * The protocol is strictly alternating: {@link #nextLogProbs()}, then {@link #append(int)} of the token the
 * mixture chose, then {@link #nextLogProbs()} again. Every active expert is fed the same token.
 *
 * <p>A session of an expert that batches holds its prompt and appended tokens as <em>pending positions</em> until
 * a batched {@link Expert#forward} runs them, possibly over several steps (chunked prefill);
 * {@link #nextLogProbs()} with positions still pending runs them alone, as a batch of one.
 */
public interface ExpertSession extends AutoCloseable {

    /**
     * Natural-log probabilities of the next token given the prompt and all appended tokens:
     * length {@link Expert#vocabularySize()}, {@code logsumexp == 0}. The array is the caller's to keep.
     */
    float[] nextLogProbs();

    /**
     * Positions fed to this session (prompt included) that its expert has not yet run. A scheduler runs them
     * through {@link Expert#forward}; 0 for a session that computes its distribution only when asked.
     */
    default int pendingPositions() {
        return 0;
    }

    /**
     * Prompt positions whose keys and values this session took from its expert's prefix cache instead of computing
     * them (a prompt that starts as an earlier one did); 0 where the expert keeps no such cache.
     */
    default int cachedPromptPositions() {
        return 0;
    }

    /**
     * When this session encoded its prompt's images, once it has (it does so in a forward pass, usually in the
     * prompt's first chunk); {@code null} before that, for a prompt without images, or where the encoding happens
     * elsewhere (an expert server reports it in its own trace).
     */
    default ImageEncoding imageEncoding() {
        return null;
    }

    /**
     * Each time this session moved to another replica of its expert because the one it was on failed, in order: why,
     * and where it went. Empty for an expert that has no replicas.
     */
    default List<String> failovers() {
        return List.of();
    }

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

    /**
     * The natural-log probability the expert gives each of the prompt's positions given those before it,
     * {@code log p(x_t | x_<t, images)}: one entry per prompt position, {@code NaN} for the first and for positions
     * that are not the prompt's own text (image features). Like {@link #promptLogLikelihood()}, it is computed with
     * a scored prefill and must be asked for before the first {@link #nextLogProbs()}.
     *
     * @throws UnsupportedOperationException if this expert cannot score prompts
     */
    default float[] promptTokenLogProbs() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot score prompts");
    }

    /** Number of positions in this session's context (prompt plus appended tokens). */
    int length();

    /** Frees the session's native memory (KV cache). Idempotent. */
    @Override
    void close();
}
