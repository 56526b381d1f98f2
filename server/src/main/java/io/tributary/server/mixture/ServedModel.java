package io.tributary.server.mixture;

import io.tributary.routing.Expert;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.Routers;
import io.tributary.server.chat.ChatTemplate;

import java.util.List;

/**
 * The mixture this server serves, with what the HTTP layer needs to know about it.
 *
 * @param routers        builds the routers a request may ask for, over the mixture's artefacts
 * @param prompts        text and images to what the experts read
 * @param maxTotalTokens the most positions a request may use: prompt plus generated tokens
 * @param vision         the vision towers the experts share (counts for metrics)
 * @param resources      closed with the model, after the experts (tokenizer, vision towers, router extractor)
 */
public record ServedModel(
        Mixture mixture,
        Routers routers,
        PromptEncoder prompts,
        int maxTotalTokens,
        SharedVision vision,
        AutoCloseable resources)
        implements AutoCloseable {

    public ServedModel(Mixture mixture, Routers routers, PromptEncoder prompts, int maxTotalTokens) {
        this(mixture, routers, prompts, maxTotalTokens, SharedVision.NONE, () -> {});
    }

    public String name() {
        return mixture.name();
    }

    /** The most positions {@code prompt} takes in any expert's context, images expanded (see {@link Expert}). */
    public int promptPositions(Prompt prompt) {
        return mixture.experts().stream()
                .mapToInt(expert -> expert.promptPositions(prompt))
                .max()
                .orElseThrow();
    }

    /** The same model, its chat template replaced by the operator's. */
    public ServedModel withChatTemplate(ChatTemplate template) {
        return new ServedModel(
                mixture, routers, new ChatTemplateOverride(prompts, template), maxTotalTokens, vision, resources);
    }

    public List<String> expertNames() {
        return mixture.experts().stream().map(Expert::name).toList();
    }

    @Override
    public void close() throws Exception {
        try {
            mixture.close();
        } finally {
            resources.close();
        }
    }
}
