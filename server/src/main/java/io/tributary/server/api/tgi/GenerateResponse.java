package io.tributary.server.api.tgi;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * The response of {@code POST /generate}: TGI's shape, with each token's expert weights added, and in the details the
 * prompt positions the experts took from their prefix caches ({@code cached_prompt_positions}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GenerateResponse(String generatedText, Details details) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Details(
            String finishReason,
            int generatedTokens,
            Long seed,
            List<PrefillToken> prefill,
            List<Token> tokens,
            List<List<TopToken>> topTokens,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
            int cachedPromptPositions,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<BestOfSequence> bestOfSequences,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {}

    /** One of the {@code best_of} answers that was not chosen, as TGI lists them. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BestOfSequence(
            String generatedText,
            String finishReason,
            int generatedTokens,
            Long seed,
            List<PrefillToken> prefill,
            List<Token> tokens,
            List<List<TopToken>> topTokens) {}

    /**
     * One token. {@code expertWeights} is Tributary's addition (existing TGI clients ignore it): the weight each
     * expert had in the mixture that chose this token, in manifest order.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Token(int id, String text, float logprob, boolean special, double[] expertWeights) {}

    /** A prompt token ({@code decoder_input_details}): {@code logprob} is null for the first, which nothing predicts. */
    public record PrefillToken(int id, String text, Float logprob) {}

    /** One of the most likely tokens at a step ({@code top_n_tokens}), chosen or not. */
    public record TopToken(int id, String text, float logprob, boolean special) {}
}
