package io.tributary.routing.sampling;

/** Chooses the next token from the mixture's log-probabilities. Models never sample; only this does. */
@FunctionalInterface
public interface Sampler {

    /** Returns the chosen token id. {@code logProbs} is not modified. */
    int sample(float[] logProbs);
}
