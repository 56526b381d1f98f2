package io.tributary.server.mixture;

import io.tributary.routing.ImageInput;
import io.tributary.server.chat.ChatTemplate;

import java.util.List;
import java.util.Optional;

/** A mixture's prompt encoder with the operator's chat template instead of the checkpoints' own. */
record ChatTemplateOverride(PromptEncoder encoder, ChatTemplate template) implements PromptEncoder {

    @Override
    public int[] encode(String text) {
        return encoder.encode(text);
    }

    @Override
    public int[] encodeRendered(String text) {
        return encoder.encodeRendered(text);
    }

    @Override
    public List<Token> tokenize(String text) {
        return encoder.tokenize(text);
    }

    @Override
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.of(template);
    }

    @Override
    public Optional<String> imagePlaceholder() {
        return encoder.imagePlaceholder();
    }

    @Override
    public void checkImage(ImageInput image) {
        encoder.checkImage(image);
    }
}
