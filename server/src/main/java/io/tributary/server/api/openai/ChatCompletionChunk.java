package io.tributary.server.api.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * One server-sent event of a streamed chat completion, OpenAI's {@code chat.completion.chunk}: the first carries
 * the role, each next one a token's text (held back while it could be the start of a stop sequence), the last the
 * finish reason; with {@code stream_options.include_usage} a final chunk with no choices carries the usage.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionChunk(
        String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(
            int index,
            Delta delta,
            ChatLogprobs logprobs,
            String finishReason,
            List<double[]> expertWeights,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content, List<ToolCallDelta> toolCalls) {

        public Delta(String role, String content) {
            this(role, content, null);
        }
    }

    /** A tool call in a stream: sent whole, in one delta, once the answer is complete. */
    public record ToolCallDelta(int index, String id, String type, ChatCompletion.Function function) {}
}
