package io.tributary.routing.router;

/** The routing state of one request. Confined to the thread stepping that request. */
public interface RoutingSession {

    /**
     * Whether this session wants the experts' likelihood of the prompt before the first token: then the decode
     * loop opens every expert, calls {@link #observePrompt} and only afterwards asks for {@link #weights()}.
     */
    default boolean needsPromptLikelihood() {
        return false;
    }

    /**
     * The natural-log likelihood each expert gives the prompt's text ({@code log p_k(prompt | images)}), called
     * once before the first token when {@link #needsPromptLikelihood()} is true.
     */
    default void observePrompt(double[] promptLogLikelihoods) {}

    /**
     * The weights for the next token, one per expert, non-negative and summing to 1. An expert with weight 0
     * is not run for this token.
     */
    double[] weights();

    /**
     * Reports the token the mixture chose and the log-probability each expert gave it ({@code NaN} for an expert
     * that was not run), so that routers which learn from the experts' own likelihoods can update.
     */
    default void observe(int tokenId, double[] expertLogProbs) {}
}
