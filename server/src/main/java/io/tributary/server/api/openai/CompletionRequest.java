package io.tributary.server.api.openai;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import io.tributary.server.serving.GenerateParameters.RoutingParameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/completions}: a plain prompt (inline images as in TGI's markdown), OpenAI's names.
 *
 * @param prompt   a string, or a list holding one string
 * @param logprobs how many of the most likely tokens to list at each step (0 to 5)
 * @param echo     whether the text starts with the prompt
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CompletionRequest(
        String model,
        JsonNode prompt,
        Integer maxTokens,
        Double temperature,
        Double topP,
        Long seed,
        JsonNode stop,
        Integer n,
        Integer bestOf,
        Integer logprobs,
        Boolean echo,
        String suffix,
        Boolean stream,
        ChatCompletionRequest.StreamOptions streamOptions,
        Double presencePenalty,
        Double frequencyPenalty,
        Map<String, Object> logitBias,
        String user,
        Integer topK,
        Double repetitionPenalty,
        Double minP,
        Integer minTokens,
        Boolean ignoreEos,
        List<Integer> stopTokenIds,
        JsonNode responseFormat,
        JsonNode guidedJson,
        String guidedRegex,
        List<String> guidedChoice,
        JsonNode guidedGrammar,
        RoutingParameters routing,
        @JsonAnySetter Map<String, Object> unknown) {}
