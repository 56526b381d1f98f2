package io.tributary.server.api.tgi;

import io.tributary.server.serving.GenerateParameters;

/**
 * The body of {@code POST /generate} and {@code POST /generate_stream}, as in text-generation-inference.
 *
 * @param inputs     the prompt
 * @param parameters how to generate; all optional
 */
public record GenerateRequest(String inputs, GenerateParameters parameters) {}
