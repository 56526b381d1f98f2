package io.tributary.server.api.openai;

import java.util.List;

/** The body of {@code GET /v1/models}. */
public record ModelList(String object, List<ModelCard> data) {}
