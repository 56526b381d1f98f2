package io.tributary.server.api.openai;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.TopToken;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Chat completions' {@code logprobs}: each generated token with its log-probability and the likeliest others. */
public record ChatLogprobs(List<Entry> content) {

    static ChatLogprobs of(List<GeneratedToken> tokens) {
        return new ChatLogprobs(tokens.stream().map(Entry::of).toList());
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Entry(String token, float logprob, int[] bytes, List<Alternative> topLogprobs) {

        static Entry of(GeneratedToken token) {
            return new Entry(
                    token.text(),
                    token.logProb(),
                    utf8(token.text()),
                    token.topTokens().stream().map(Alternative::of).toList());
        }
    }

    public record Alternative(String token, float logprob, int[] bytes) {

        static Alternative of(TopToken top) {
            return new Alternative(top.text(), top.logProb(), utf8(top.text()));
        }
    }

    private static int[] utf8(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] unsigned = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            unsigned[i] = utf8[i] & 0xFF;
        }
        return unsigned;
    }
}
