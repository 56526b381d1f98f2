package io.tributary.server.api.openai;

import io.tributary.server.serving.GenerateParameters;
import io.tributary.server.serving.GenerateParameters.RoutingParameters;
import io.tributary.server.serving.RequestValidationException;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tributary.server.api.openai.OpenAiRequestException.invalid;

/**
 * OpenAI's sampling fields in TGI's terms. OpenAI samples by default ({@code temperature} 1); {@code temperature}
 * 0 means greedy decoding. What Tributary does not implement is refused, never ignored.
 */
record SamplingOptions(
        Double temperature,
        Double topP,
        Long seed,
        JsonNode stop,
        Integer n,
        Double presencePenalty,
        Double frequencyPenalty,
        Map<String, Object> logitBias,
        Integer topK,
        Double repetitionPenalty,
        RoutingParameters routing) {

    /** OpenAI's limit on stop sequences. */
    static final int MAX_STOP = 4;

    GenerateParameters toParameters(Integer maxNewTokens) {
        if (n != null && n != 1) {
            throw invalid("n", "must be 1: this server returns one choice per request. Given: " + n);
        }
        refuseUnless(presencePenalty == null || presencePenalty == 0.0, "presence_penalty");
        refuseUnless(frequencyPenalty == null || frequencyPenalty == 0.0, "frequency_penalty");
        refuseUnless(logitBias == null || logitBias.isEmpty(), "logit_bias");
        double t = temperature == null ? 1.0 : temperature;
        if (!(t >= 0 && t <= 2)) {
            throw invalid("temperature", "must be between 0 and 2. Given: " + temperature);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw invalid("top_p", "must be > 0 and <= 1. Given: " + topP);
        }
        boolean greedy = t == 0;
        Integer k = topK == null || topK == -1 || topK == 0 ? null : topK; // vLLM: -1 and 0 mean no top-k
        return new GenerateParameters(
                maxNewTokens,
                greedy ? null : t,
                greedy ? null : k,
                greedy ? null : topP,
                repetitionPenalty,
                seed,
                stopSequences(stop),
                !greedy,
                null,
                null,
                null,
                routing,
                null,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    private static void refuseUnless(boolean neutral, String field) {
        if (!neutral) {
            throw invalid(field, "is not supported by this server");
        }
    }

    /** {@code stop}: a string or a list of up to four strings. */
    static List<String> stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        if (stop.isString()) {
            return List.of(stop.asString());
        }
        if (!stop.isArray()) {
            throw invalid("stop", "must be a string or a list of strings");
        }
        if (stop.size() > MAX_STOP) {
            throw invalid("stop", "may hold at most " + MAX_STOP + " sequences. Given: " + stop.size());
        }
        List<String> sequences = new ArrayList<>();
        for (JsonNode sequence : stop) {
            if (!sequence.isString()) {
                throw invalid("stop", "must be a string or a list of strings");
            }
            sequences.add(sequence.asString());
        }
        return sequences;
    }

    /** Refuses fields the request carried that OpenAI's API does not define. */
    static void refuseUnknown(Map<String, Object> unknown, String where) {
        if (unknown != null && !unknown.isEmpty()) {
            throw new RequestValidationException(
                    "Unrecognized request argument supplied" + where + ": " + String.join(", ", unknown.keySet()));
        }
    }
}
