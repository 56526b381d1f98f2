package io.tributary.server.serving;

import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * Generation parameters with text-generation-inference's names and meanings. Boxed types: {@code null} means
 * "not given", so defaults are applied in one place ({@link RequestTranslator}). The TGI parameters this
 * server does not implement are accepted only at their neutral value and refused otherwise, never ignored.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GenerateParameters(
        Integer maxNewTokens,
        Double temperature,
        Integer topK,
        Double topP,
        Double repetitionPenalty,
        Long seed,
        List<String> stop,
        Boolean doSample,
        Boolean details,
        Boolean returnFullText,
        Integer truncate,
        RoutingParameters routing,
        // Accepted at their neutral value only, but for best_of, typical_p, frequency_penalty, top_n_tokens,
        // decoder_input_details and grammar:
        Integer bestOf,
        Double typicalP,
        Double frequencyPenalty,
        Boolean watermark,
        @JsonProperty("top_n_tokens") Integer topNTokens, // the naming strategy would make it top_ntokens
        Boolean decoderInputDetails,
        JsonNode grammar) {

    public static final GenerateParameters NONE = new GenerateParameters(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null);

    /**
     * Tributary's addition: this request's routing, overriding the mixture's. Names as in the manifest.
     *
     * @param mode one of uniform, fixed, hard, soft, top-k, posterior, learned
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RoutingParameters(String mode, List<Double> weights, Double temperature, Integer topK) {}
}
