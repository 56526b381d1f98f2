package io.tributary.server.api.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * The answer of {@code POST /v1/completions} (and each event of its stream), OpenAI's {@code text_completion}, with
 * Tributary's {@code expert_weights} per generated token.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Choice(
            int index,
            String text,
            Logprobs logprobs,
            String finishReason,
            List<double[]> expertWeights,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {}

    /** The legacy completions shape: parallel lists, one entry per token. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Logprobs(
            List<String> tokens,
            List<Float> tokenLogprobs,
            List<Map<String, Float>> topLogprobs,
            List<Integer> textOffset) {}
}
