package io.tributary.routing.constraint;

/**
 * A language the generated text must belong to (a regular expression, a JSON schema), compiled against one
 * vocabulary. One compiled constraint serves every request that asks for it, concurrently; each generation walks
 * it with its own {@link State}. At every step the mixture's distribution is restricted to the tokens that keep the
 * text in the language, so what is sampled is the mixture conditioned on valid output.
 */
public interface OutputConstraint {

    /** Where a new generation stands: before any token. */
    State start();

    /** One generation's place in the language. Not thread-safe: it lives on its generation's decoding thread. */
    interface State {

        /**
         * The log-probabilities with every token that cannot continue a valid text set to -∞. End of sequence stays
         * only where the text so far is complete. Returns a new array; {@code logProbs} is not modified.
         */
        float[] mask(float[] logProbs);

        /** Moves past the chosen token, which {@link #mask} allowed. */
        void advance(int token);

        /** Whether the text is complete and no token can extend it: the generation ends here. */
        boolean complete();
    }
}
