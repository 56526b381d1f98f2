package io.tributary.server.api.tgi;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * One server-sent event of {@code POST /generate_stream}, as in TGI: {@code generatedText} and {@code details}
 * are {@code null} except on the last event; {@code topTokens} is {@code null} unless {@code top_n_tokens} asked.
 *
 * @param index       1-based index of the token in the generation
 * @param lostExperts Tributary's addition, on the first event after an expert was lost (TGI's clients ignore it):
 *                    the experts lost since the previous event, absent otherwise
 * @param expertFailovers likewise, remote experts' sessions that moved to another replica since the previous event
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StreamResponse(
        int index,
        GenerateResponse.Token token,
        List<GenerateResponse.TopToken> topTokens,
        String generatedText,
        StreamDetails details,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamDetails(
            String finishReason,
            int generatedTokens,
            Long seed,
            int inputLength,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LostExpert> lostExperts,
            int cachedPromptPositions,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ExpertFailover> expertFailovers) {}
}
