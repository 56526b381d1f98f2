package io.tributary.routing;

import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;
import io.tributary.routing.refusal.RequestRefusedException;

/**
 * One loaded expert model of a decentralized mixture.
 *
 * <p>An expert is shared by all requests and must be thread-safe; the per-request state (its KV cache)
 * lives in the {@link ExpertSession} it opens. A remote expert (another pod) implements the same interface.
 */
public interface Expert extends AutoCloseable {

    /** A stable name, as given in the mixture manifest. */
    String name();

    /** Size of the next-token distribution every session of this expert returns. */
    int vocabularySize();

    /** The longest context (prompt plus generated tokens) a session of this expert can hold. */
    default int maxSequenceLength() {
        return Integer.MAX_VALUE;
    }

    /**
     * The positions {@code prompt} takes in this expert's context once each image is expanded into its image
     * tokens. Cheap (it may read image headers, never pixels), so the server can refuse a prompt that will not fit
     * before queueing it.
     *
     * @throws RequestRefusedException when an image cannot be read (an {@link ImageRefusedException}, or the refusal
     *                                  of a remote expert's host)
     */
    default int promptPositions(Prompt prompt) {
        return prompt.tokenIds().length;
    }

    /**
     * Starts decoding one request: encodes the prompt (prefill) lazily or eagerly, as the expert prefers.
     * The caller owns the returned session and must close it.
     *
     * @throws RequestRefusedException when the prompt cannot be served (a {@link PromptTooLongException}, an
     *                                  {@link ImageRefusedException}); any other failure is this expert's fault
     */
    ExpertSession open(Prompt prompt);

    /**
     * Runs one forward pass over a batch of this expert's own sessions: each entry's session advances by its share
     * of positions, and a session whose pending positions are all run then has {@link ExpertSession#nextLogProbs()}
     * ready without further work. Called by one thread at a time per expert.
     *
     * <p>The default serves experts that cannot batch: it leaves every session to compute its distribution when
     * asked, reporting no pending positions.
     *
     * @throws IllegalArgumentException when an entry's session is not this expert's, or asks for more positions
     *                                  than it has pending
     */
    default void forward(ExpertBatch batch) {
        for (BatchEntry entry : batch.entries()) {
            if (entry.positions() > entry.session().pendingPositions()) {
                throw new IllegalArgumentException("entry asks for " + entry.positions() + " positions but its session"
                        + " has " + entry.session().pendingPositions() + " pending");
            }
        }
    }

    /**
     * Bytes of cache one position of one request holds in this expert (keys and values of every layer), so a
     * scheduler can admit requests by a memory budget. 0 for an expert that keeps no per-request state here.
     */
    default long kvBytesPerPosition() {
        return 0;
    }

    /** Frees the expert's weights. Sessions still open must not be used afterwards. */
    @Override
    void close();
}
