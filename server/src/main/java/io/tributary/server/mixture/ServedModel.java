package io.tributary.server.mixture;

import io.tributary.routing.Expert;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.Routers;

import java.util.List;
import java.util.function.Function;

/**
 * The mixture this server serves, with what the HTTP layer needs to know about it.
 *
 * @param routers        builds the routers a request may ask for, over the mixture's artefacts
 * @param encoder        text to prompt token ids (the experts share one tokenizer)
 * @param maxTotalTokens the most positions a request may use: prompt plus generated tokens
 * @param resources      closed with the model, after the experts (the tokenizer's native handle)
 */
public record ServedModel(Mixture mixture, Routers routers, Function<String, int[]> encoder, int maxTotalTokens,
                          AutoCloseable resources) implements AutoCloseable {

    public ServedModel(Mixture mixture, Routers routers, Function<String, int[]> encoder, int maxTotalTokens) {
        this(mixture, routers, encoder, maxTotalTokens, () -> { });
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
