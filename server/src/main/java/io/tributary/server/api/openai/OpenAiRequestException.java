package io.tributary.server.api.openai;

import io.tributary.server.serving.RequestValidationException;

/** A request an OpenAI-compatible route cannot serve; {@code param} names the field, as OpenAI's errors do. */
final class OpenAiRequestException {

    private OpenAiRequestException() {}

    static RequestValidationException invalid(String param, String message) {
        return RequestValidationException.ofField(param, message);
    }
}
