package io.tributary.server.mixture;

import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.server.chat.ChatTemplate;

import java.util.List;
import java.util.Optional;

/** How the HTTP layer turns a request's text and images into what the experts read. */
public interface PromptEncoder {

    /** Token ids of the text (experts of one mixture share one tokenizer), with the tokenizer's added BOS. */
    int[] encode(String text);

    /**
     * Token ids of a prompt rendered by a chat template, which writes its own special tokens: as transformers'
     * {@code apply_chat_template}, nothing is added.
     */
    int[] encodeRendered(String text);

    /** The tokens of the text with the characters each covers (TGI's {@code /tokenize}). */
    List<Token> tokenize(String text);

    /** The mixture's chat template, if its checkpoints have one. */
    default Optional<ChatTemplate> chatTemplate() {
        return Optional.empty();
    }

    /** The text an image stands as in a prompt (LLaVA's {@code <image>}); empty when the experts read text only. */
    Optional<String> imagePlaceholder();

    /**
     * Checks, before the request is queued, that an image can be read within the size limits, so a bad image is
     * refused with a 4xx instead of failing a stream already under way.
     *
     * @throws ImageRefusedException saying what is wrong with it
     */
    void checkImage(ImageInput image);

    /** One token of {@link #tokenize}: the characters {@code [start, stop)} of the text it covers. */
    record Token(int id, String text, int start, int stop) {}
}
