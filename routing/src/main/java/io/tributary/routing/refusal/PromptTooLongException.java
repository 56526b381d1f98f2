package io.tributary.routing.refusal;

/** The prompt, its images expanded, does not fit the context of an expert that must read it. */
public final class PromptTooLongException extends RequestRefusedException {

    public PromptTooLongException(String message) {
        super(message);
    }
}
