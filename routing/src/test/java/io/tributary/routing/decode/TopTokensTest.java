package io.tributary.routing.decode;

import io.tributary.routing.testing.LetterDetokenizer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class TopTokensTest {

    @Test
    void picksTheLargestInOrderAsAFullSortWould() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            float[] values = new float[1 + random.nextInt(300)];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextInt(40) - 20; // many ties
            }
            int n = 1 + random.nextInt(25);
            int[] expected = IntStream.range(0, values.length)
                    .boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparing(i -> i))
                    .limit(n)
                    .mapToInt(Integer::intValue)
                    .toArray();
            assertThat(TopTokens.indicesOfLargest(values, Math.min(n, values.length)))
                    .as("trial %d: %s", trial, Arrays.toString(values))
                    .containsExactly(expected);
        }
    }

    @Test
    void namesEachTokenWithItsTextAndLogProb() {
        float[] logProbs = {-3f, -0.5f, -9f, -1f};
        List<TopToken> top = TopTokens.of(logProbs, 2, new LetterDetokenizer(4, Set.of(3)));
        assertThat(top).containsExactly(new TopToken(1, "b", -0.5f, false), new TopToken(3, "<3>", -1f, true));
    }
}
