package io.tributary.server.structured;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class TokenSetTest {

    @Test
    void fewTokensAndManyTokensCopyTheSameScores() {
        float[] scores = new float[256];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = -i;
        }
        long[] few = new long[4];
        few[0] = 1L << 3 | 1L << 60;
        few[3] = 1L << 63; // token 255
        long[] many = {-1L, -1L, -1L, 0};

        float[] fromFew = copied(TokenSet.of(few), scores);
        float[] fromMany = copied(TokenSet.of(many), scores);

        assertThat(indicesOfFinite(fromFew)).containsExactly(3, 60, 255);
        assertThat(fromFew[60]).isEqualTo(-60);
        assertThat(indicesOfFinite(fromMany)).hasSize(192).startsWith(0, 1, 2).endsWith(191);
        assertThat(TokenSet.of(new long[4]).isEmpty()).isTrue();
        assertThat(TokenSet.of(few).isEmpty()).isFalse();
        assertThat(TokenSet.of(many).isEmpty()).isFalse();
    }

    private static float[] copied(TokenSet set, float[] scores) {
        float[] masked = new float[scores.length];
        Arrays.fill(masked, Float.NEGATIVE_INFINITY);
        assertThat(set.copy(scores, masked)).isTrue();
        return masked;
    }

    private static int[] indicesOfFinite(float[] values) {
        return java.util.stream.IntStream.range(0, values.length)
                .filter(i -> values[i] != Float.NEGATIVE_INFINITY)
                .toArray();
    }
}
