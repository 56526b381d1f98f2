package io.tributary.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.model.LoadOptions;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prints greedy decoding speed of one embedded-default expert. Measures, asserts nothing about time. */
class DecodeThroughputTest {

    private static final int TOKENS = 128;

    @Test
    void embeddedDefaultExpertDecodes128Tokens(@TempDir Path dir) throws Exception {
        TinyCheckpoints.writeLlama(dir, TinyLlamaSpec.embeddedDefault(), 1);
        try (LlamaExpert expert = LlamaExpert.load("speed", dir, LoadOptions.cpu())) {
            decode(expert, TOKENS); // warm up the JIT and libtorch's kernels
            decode(expert, TOKENS);
            double[] tokensPerSecond = new double[3];
            for (int run = 0; run < tokensPerSecond.length; run++) {
                long start = System.nanoTime();
                decode(expert, TOKENS);
                tokensPerSecond[run] = TOKENS / ((System.nanoTime() - start) / 1e9);
            }
            System.out.printf("embedded-default Llama expert (%s), greedy decoding of %d tokens: %s tokens/s%n",
                    expert, TOKENS, Arrays.toString(Arrays.stream(tokensPerSecond).map(Math::rint).toArray()));
        }
    }

    private static void decode(LlamaExpert expert, int tokens) {
        try (ExpertSession session = expert.open(Prompt.ofTokens(1, 300, 301, 302))) {
            for (int t = 0; t < tokens; t++) {
                float[] logProbs = session.nextLogProbs();
                int best = 0;
                for (int i = 1; i < logProbs.length; i++) {
                    best = logProbs[i] > logProbs[best] ? i : best;
                }
                session.append(best);
            }
            assertThat(session.length()).isEqualTo(4 + tokens);
        }
    }
}
