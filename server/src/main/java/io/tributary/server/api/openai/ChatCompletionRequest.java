package io.tributary.server.api.openai;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import io.tributary.server.serving.GenerateParameters.RoutingParameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/chat/completions}, with OpenAI's names. Fields OpenAI defines that Tributary does not
 * implement are accepted at their neutral value only; fields nobody defines land in {@code unknown} and are ignored,
 * as vLLM ignores them. {@code top_k}, {@code repetition_penalty}, {@code min_p}, {@code min_tokens},
 * {@code ignore_eos}, {@code stop_token_ids} and the {@code guided_*} formats are vLLM's additions, {@code routing} Tributary's.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionRequest(
        String model,
        List<Message> messages,
        Integer maxTokens,
        Integer maxCompletionTokens,
        Double temperature,
        Double topP,
        Long seed,
        JsonNode stop,
        Integer n,
        Boolean logprobs,
        Integer topLogprobs,
        Boolean stream,
        StreamOptions streamOptions,
        Double presencePenalty,
        Double frequencyPenalty,
        Map<String, Object> logitBias,
        String user,
        JsonNode tools,
        JsonNode toolChoice,
        JsonNode responseFormat,
        Boolean parallelToolCalls,
        Integer topK,
        Double repetitionPenalty,
        Double minP,
        Integer minTokens,
        Boolean ignoreEos,
        List<Integer> stopTokenIds,
        JsonNode guidedJson,
        String guidedRegex,
        List<String> guidedChoice,
        JsonNode guidedGrammar,
        RoutingParameters routing,
        @JsonAnySetter Map<String, Object> unknown) {

    /**
     * One message; {@code content} is a string or a list of parts ({@code text}, {@code image_url}). An assistant
     * turn may carry the {@code tool_calls} it made, a {@code tool} turn the {@code tool_call_id} it answers.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Message(
            String role,
            JsonNode content,
            String name,
            JsonNode toolCalls,
            String toolCallId,
            @JsonAnySetter Map<String, Object> unknown) {}

    /** @param includeUsage whether a last chunk carries the token counts */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamOptions(Boolean includeUsage) {}
}
