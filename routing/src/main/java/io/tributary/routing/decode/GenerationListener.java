package io.tributary.routing.decode;

import io.tributary.routing.ImageEncoding;

import java.util.function.Supplier;

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

    /**
     * Expert {@code expert}'s session moved to another replica because the one it was on failed ({@code detail}
     * says which, why and where to); the answer goes on with the same expert. Reported before the next token.
     */
    default void onExpertFailover(String expert, String detail) {}

    /** A scheduler took the generation from its queue: its first step is being planned. */
    default void onStarted() {}

    /**
     * A step ran {@code positions} positions of the prompt (the most any expert ran), between two
     * {@link System#nanoTime()} readings. The step that ends the prompt reports its chunk before the first token.
     */
    default void onPromptChunk(int positions, long startNanos, long endNanos) {}

    /** Expert {@code expert}'s session encoded the prompt's images, as {@code encoding} says when. */
    default void onImagesEncoded(String expert, ImageEncoding encoding) {}

    /**
     * Runs work done for this generation away from the thread that created it, on a decoding thread (opening an
     * expert session, which may call another process), so that a listener can carry the request's context (a trace)
     * to it.
     */
    default <T> T inContext(Supplier<T> work) {
        return work.get();
    }
}
