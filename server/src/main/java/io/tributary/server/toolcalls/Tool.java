package io.tributary.server.toolcalls;

import tools.jackson.databind.JsonNode;

import java.util.Objects;

/**
 * A function the client offers the model: OpenAI's {@code {"type": "function", "function": {...}}}.
 *
 * @param parameters a JSON schema of the arguments object
 * @param wire       the tool as the client sent it, for the chat template's {@code tools}
 */
public record Tool(String name, JsonNode parameters, JsonNode wire) {

    public Tool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(wire, "wire");
    }
}
