package io.tributary.server.api.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * The answer of {@code POST /v1/chat/completions}, OpenAI's {@code chat.completion}. Each choice adds Tributary's
 * {@code expert_weights}: for every generated token, the weight each expert had in the mixture that chose it (SDKs
 * keep fields they do not know); and {@code lost_experts} when a remote expert was lost during the answer.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(
            int index,
            Message message,
            ChatLogprobs logprobs,
            String finishReason,
            List<double[]> expertWeights,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {}

    /** {@code content} is {@code null} when the answer is only tool calls. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Message(
            String role,
            String content,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCallWire> toolCalls) {

        public Message(String role, String content) {
            this(role, content, List.of());
        }
    }

    /** A tool call on the wire: {@code {"id", "type": "function", "function": {"name", "arguments"}}}. */
    public record ToolCallWire(String id, String type, Function function) {

        static List<ToolCallWire> of(List<io.tributary.server.toolcalls.ToolCall> calls) {
            return calls.stream()
                    .map(call -> new ToolCallWire(call.id(), "function", new Function(call.name(), call.arguments())))
                    .toList();
        }
    }

    public record Function(String name, String arguments) {}
}
