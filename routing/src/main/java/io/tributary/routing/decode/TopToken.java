package io.tributary.routing.decode;

/**
 * One of the most likely tokens at a step, whether or not it was chosen: TGI's {@code top_tokens}, OpenAI's
 * {@code top_logprobs}.
 *
 * @param text    the token's text on its own (a special token's literal text)
 * @param logProb natural-log probability under the mixture
 */
public record TopToken(int id, String text, float logProb, boolean special) {}
