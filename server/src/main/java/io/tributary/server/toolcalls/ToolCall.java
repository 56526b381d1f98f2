package io.tributary.server.toolcalls;

import java.util.Objects;

/**
 * A call of one of the request's tools, found in the model's output.
 *
 * @param id        the id the answer gives it, for the tool result to refer to ({@code tool_call_id})
 * @param arguments the arguments as a JSON object, in text (OpenAI's wire form)
 */
public record ToolCall(String id, String name, String arguments) {

    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }
}
