package io.tributary.server.api.tgi;

import io.tributary.server.serving.GenerateParameters;

/**
 * The body of TGI's {@code POST /}: a generate request that says whether to stream.
 *
 * @param stream {@code true} for server-sent events as {@code /generate_stream}; otherwise one JSON answer
 */
public record CompatGenerateRequest(String inputs, GenerateParameters parameters, Boolean stream) {}
