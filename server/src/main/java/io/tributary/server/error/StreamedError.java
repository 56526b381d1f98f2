package io.tributary.server.error;

import io.tributary.routing.refusal.RequestRefusedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CancellationException;

/**
 * The event that ends a stream whose generation failed, by the rule {@link ApiExceptionHandler} applies to whole
 * answers: a refusal says why (422), a loss of the experts says which (424), a cancellation says so (503); anything
 * else is the server's own fault, logged here with its stack trace, since nothing else sees it, and told to the
 * client only as {@link ErrorResponse#INTERNAL} (500).
 *
 * @param status the status the failure would have had before the stream started: it picks OpenAI's error type
 */
public record StreamedError(int status, ErrorResponse body) {

    private static final Logger LOG = LoggerFactory.getLogger(StreamedError.class);

    public static StreamedError of(Throwable failure) {
        if (failure instanceof CancellationException) {
            return new StreamedError(503, new ErrorResponse("the generation was cancelled", "cancelled"));
        }
        if (failure instanceof RequestRefusedException) {
            return new StreamedError(422, new ErrorResponse(failure.getMessage(), "validation"));
        }
        if (GenerationFailedException.isExpertFailure(failure)) {
            return new StreamedError(424, new ErrorResponse(failure.getMessage(), "generation"));
        }
        LOG.error("a streamed generation failed", failure);
        return new StreamedError(500, ErrorResponse.INTERNAL);
    }

    /** The same error in OpenAI's shape, for the {@code /v1} streams. */
    public OpenAiErrorResponse openAi() {
        return OpenAiErrorResponse.of(status, body);
    }
}
