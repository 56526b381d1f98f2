package io.tributary.routing.decode;

/**
 * Receives a generation's progress: every token as soon as it is chosen, then exactly one of
 * {@link #onFinish} or {@link #onError}. The last token is marked ({@link GeneratedToken#last()}) and
 * {@link #onFinish} follows it at once, so a stream can put the final text on the last token's event. Called on the decoding thread: implementations must be quick
 * and must not block (hand the event to the network, don't wait on it).
 */
public interface GenerationListener {

    void onToken(GeneratedToken token);

    void onFinish(GenerationResult result);

    /** The generation failed or was cancelled; its resources are already freed. */
    void onError(Throwable error);

    /**
     * An expert became unavailable mid-generation ({@code failure} says how): the generation goes on without it,
     * the others' weights renormalised. Reported before the next token.
     */
    default void onExpertLost(String expert, Throwable failure) {}
}
