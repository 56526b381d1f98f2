package io.tributary.routing.refusal;

/**
 * A request that cannot be served as sent, through no fault of the server: the client can change it (a shorter
 * prompt, another image, fewer tokens, a routing this mixture has) and its message says what to change.
 *
 * <p>Modelled on TGI's closed {@code InferError}: each kind names one reason and answers with one status. Every
 * kind here is TGI's validation error, 422 (400 on OpenAI's routes). Anything else that escapes a request, an
 * {@link IllegalArgumentException} included, is the server's own fault: a bad argument between our classes is a
 * bug, never the client's mistake, so it must not borrow this contract.
 */
public abstract class RequestRefusedException extends RuntimeException {

    protected RequestRefusedException(String message) {
        super(message);
    }

    protected RequestRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
