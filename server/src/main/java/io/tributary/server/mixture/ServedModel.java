package io.tributary.server.mixture;

import io.tributary.routing.Expert;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.Routers;

import java.util.List;

/**
 * The mixture this server serves, with what the HTTP layer needs to know about it.
 *
 * @param routers        builds the routers a request may ask for, over the mixture's artefacts
 * @param prompts        text and images to what the experts read
 * @param maxTotalTokens the most positions a request may use: prompt plus generated tokens
 * @param resources      closed with the model, after the experts (the tokenizer's native handle)
 */
public record ServedModel(Mixture mixture, Routers routers, PromptEncoder prompts, int maxTotalTokens,
                          AutoCloseable resources) implements AutoCloseable {

    public ServedModel(Mixture mixture, Routers routers, PromptEncoder prompts, int maxTotalTokens) {
        this(mixture, routers, prompts, maxTotalTokens, () -> { });
    }

    public String name() {
        return mixture.name();
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
