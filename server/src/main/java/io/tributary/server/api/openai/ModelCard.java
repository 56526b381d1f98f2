package io.tributary.server.api.openai;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * One model of {@code GET /v1/models}: the mixture, with vLLM's {@code max_model_len} and Tributary's list of
 * experts (in the order of every {@code expert_weights}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelCard(String id, String object, long created, String ownedBy, int maxModelLen, List<String> experts) {

    /** When the server started, as OpenAI's {@code created} for the served model. */
    static final long STARTED = System.currentTimeMillis() / 1000;
}
