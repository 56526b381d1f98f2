package io.tributary.server.api.openai;

import io.tributary.server.serving.GenerateParameters;
import io.tributary.server.serving.GenerateParameters.RoutingParameters;
import io.tributary.server.serving.RequestValidationException;
import io.tributary.server.serving.SamplingExtras;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.tributary.server.api.openai.OpenAiRequestException.invalid;

/**
 * OpenAI's sampling fields in TGI's terms, with vLLM's additions ({@code top_k}, {@code repetition_penalty},
 * {@code min_p}, {@code min_tokens}, {@code ignore_eos}, {@code stop_token_ids}). OpenAI samples by default
 * ({@code temperature} 1); {@code temperature} 0 means greedy decoding.
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
        Double minP,
        Integer minTokens,
        Boolean ignoreEos,
        List<Integer> stopTokenIds,
        RoutingParameters routing) {

    private static final System.Logger LOG = System.getLogger(SamplingOptions.class.getName());
    private static final Set<String> IGNORED = ConcurrentHashMap.newKeySet(); // unknown fields logged once

    /** The most choices one request may ask for. */
    static final int MAX_N = 16;

    /** OpenAI's limit on stop sequences. */
    static final int MAX_STOP = 4;

    GenerateParameters toParameters(Integer maxNewTokens) {
        if (n != null && (n < 1 || n > MAX_N)) {
            throw invalid("n", "must be between 1 and " + MAX_N + ". Given: " + n);
        }
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

    /** How many choices were asked for: {@code n}, 1 by default. */
    int choices() {
        return n == null ? 1 : n;
    }

    /** The fields beyond TGI's parameters; {@code logit_bias} maps token ids, written as strings, to numbers. */
    SamplingExtras extras() {
        Map<Integer, Double> bias = new HashMap<>();
        if (logitBias != null) {
            logitBias.forEach((key, value) -> {
                int token;
                try {
                    token = Integer.parseInt(key.strip());
                } catch (NumberFormatException e) {
                    throw invalid("logit_bias", "keys must be token ids. Given: " + key);
                }
                if (!(value instanceof Number number)) {
                    throw invalid("logit_bias", "values must be numbers. Given: " + value + " for token " + key);
                }
                bias.put(token, number.doubleValue());
            });
        }
        return new SamplingExtras(
                presencePenalty == null ? 0 : presencePenalty,
                frequencyPenalty == null ? 0 : frequencyPenalty,
                bias,
                minP == null ? 0 : minP,
                minTokens == null ? 0 : minTokens,
                Boolean.TRUE.equals(ignoreEos),
                stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds));
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

    /** Refuses fields a message carried that OpenAI's API does not define: ignoring them could change the chat. */
    static void refuseUnknown(Map<String, Object> unknown, String where) {
        if (unknown != null && !unknown.isEmpty()) {
            throw new RequestValidationException(
                    "Unrecognized request argument supplied" + where + ": " + String.join(", ", unknown.keySet()));
        }
    }

    /**
     * Accepts and ignores request fields neither OpenAI nor vLLM nor Tributary defines, as vLLM does (clients send
     * their own extras), and logs each name the first time it comes.
     */
    static void ignoreUnknown(Map<String, Object> unknown) {
        if (unknown == null) {
            return;
        }
        for (String field : unknown.keySet()) {
            if (IGNORED.size() < 1_000 && IGNORED.add(field)) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "ignoring the request field '" + field + "', which this server"
                                + " does not know (logged once)");
            }
        }
    }
}
