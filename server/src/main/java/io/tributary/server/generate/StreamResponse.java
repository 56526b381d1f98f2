package io.tributary.server.generate;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * One server-sent event of {@code POST /generate_stream}, as in TGI: {@code generatedText} and {@code details}
 * are {@code null} except on the last event.
 *
 * @param index 1-based index of the token in the generation
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StreamResponse(int index, GenerateResponse.Token token, Object topTokens, String generatedText,
                             StreamDetails details) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamDetails(String finishReason, int generatedTokens, Long seed, int inputLength) {
    }
}
