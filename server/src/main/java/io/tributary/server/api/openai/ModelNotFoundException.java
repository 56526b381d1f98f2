package io.tributary.server.api.openai;

/** A request named a model this server does not serve: 404, as OpenAI and vLLM answer. */
public final class ModelNotFoundException extends RuntimeException {

    public ModelNotFoundException(String requested, String served) {
        super("The model `" + requested + "` does not exist. This server serves `" + served + "`.");
    }
}
