package io.tributary.server.chat;

/** The chat template refused a conversation (its {@code raise_exception}) or could not render it. */
public class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }
}
