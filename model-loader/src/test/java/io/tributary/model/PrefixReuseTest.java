package io.tributary.model;

import io.tributary.model.BatchedDecodingTest.Family;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Prefix reuse changes nothing but the work done: a prompt that starts as an earlier one did takes that prompt's
 * cached positions, to the position, and its distributions equal those of an expert that reuses nothing (within 1e-4),
 * for hits that end inside a block, cover a whole image, the whole prompt, and an earlier answer (a chat's next turn).
 * Blocks of 4 positions, so that the tiny models' images span several.
 */
class PrefixReuseTest {

    private static final int BLOCK = 4;
    private static final int TOKENS = 6;
    private static final KvCacheSettings REUSE = new KvCacheSettings(BLOCK, true, 64L << 20);
    private static final KvCacheSettings NO_REUSE = new KvCacheSettings(BLOCK, false, 0);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(
            value = Family.class,
            names = {"LLAMA", "LLAVA", "INTERNVL"})
    void reusedPrefixesGiveTheDistributionsOfAnExpertThatReusesNothing(Family family) throws IOException {
        Path checkpoint = write(family);
        try (Expert reusing = ExpertLoader.withBuiltInFamilies().load("reusing", checkpoint, LoadOptions.cpu());
                Expert computing =
                        ExpertLoader.withBuiltInFamilies().load("computing", checkpoint, LoadOptions.cpu())) {
            decoder(reusing).configure(REUSE);
            decoder(computing).configure(NO_REUSE);
            Prompt first = BatchedDecodingTest.prompts(family).get(3); // 23 tokens, an image in the middle for VLMs
            int expansion = reusing.promptPositions(first) - first.tokenIds().length;
            int length = reusing.promptPositions(first);

            int[] answer = compare(reusing, computing, first, 0); // nothing cached yet
            // The same prompt again: every position, the last one's distribution included, comes from the cache.
            compare(reusing, computing, first, length);

            // The same image, another question after it: reused up to the change, inside a block. The copy of the
            // block that this prompt then writes leaves the cached one as it was, as the next case checks.
            int change = (15 + expansion) % BLOCK != 0 ? 15 : 14; // a token after the image, inside a block
            int[] changed = first.tokenIds();
            for (int t = change; t < changed.length; t++) {
                changed[t] = 7 + t;
            }
            compare(reusing, computing, new Prompt(changed, first.images()), change + expansion);

            // A chat's next turn: the first turn's prompt and answer, then more text. The answer's blocks were
            // registered while it was decoded, its last one when its session closed; its last token was appended
            // but never run.
            int[] nextTurn = concat(first.tokenIds(), answer, new int[] {41, 42, 43, 44, 45});
            compare(reusing, computing, new Prompt(nextTurn, first.images()), length + TOKENS - 1);

            BatchDecoder.KvCacheUsage idle = decoder(reusing).kvCacheUsage();
            assertThat(idle.heldBlocks()).isZero();
            assertThat(idle.cachedBlocks()).isPositive();
            assertThat(idle.hitPositions()).isPositive().isLessThan(idle.queriedPositions());
            assertThat(((NativeMemory) reusing).kvCacheBytes())
                    .as("idle, the cache holds the kept blocks in a pool just large enough for them")
                    .isEqualTo(idle.poolBlocks() * reusing.kvBytesPerPosition() * BLOCK)
                    .isPositive();
            decoder(reusing).resetPrefixCache();
            assertThat(((NativeMemory) reusing).kvCacheBytes()).isZero();
            assertThat(((NativeMemory) computing).kvCacheBytes()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Family.class,
            names = {"LLAVA", "INTERNVL"})
    void anotherImageIsNotReused(Family family) throws IOException {
        try (Expert expert = ExpertLoader.withBuiltInFamilies().load("x", write(family), LoadOptions.cpu())) {
            decoder(expert).configure(REUSE);
            Prompt withImage = BatchedDecodingTest.prompts(family).get(3);
            Prompt otherImage = new Prompt(
                    withImage.tokenIds(),
                    BatchedDecodingTest.prompts(family).get(1).images());
            try (ExpertSession session = expert.open(withImage)) {
                session.nextLogProbs();
            }
            try (ExpertSession session = expert.open(otherImage)) {
                session.nextLogProbs();
                // The placeholder is token 11; InternVL puts its <img> marker there, and the image after it.
                int imageStart = family == Family.INTERNVL ? 12 : 11;
                assertThat(session.cachedPromptPositions())
                        .as("only the positions before the image")
                        .isEqualTo(imageStart);
            }
        }
    }

    @Test
    void theSamePromptAgainEndingWithAFullBlockComputesNothingBeforeItsFirstToken() throws IOException {
        Path checkpoint = write(Family.LLAMA);
        try (Expert reusing = ExpertLoader.withBuiltInFamilies().load("reusing", checkpoint, LoadOptions.cpu());
                Expert computing =
                        ExpertLoader.withBuiltInFamilies().load("computing", checkpoint, LoadOptions.cpu())) {
            decoder(reusing).configure(REUSE);
            decoder(computing).configure(NO_REUSE);
            int[] tokens = new int[6 * BLOCK];
            for (int t = 0; t < tokens.length; t++) {
                tokens[t] = 3 + (t * 7) % 40;
            }
            Prompt prompt = Prompt.ofTokens(tokens);

            compare(reusing, computing, prompt, 0);
            long hitsBefore = decoder(reusing).kvCacheUsage().hitPositions();
            compare(reusing, computing, prompt, tokens.length);
            assertThat(decoder(reusing).kvCacheUsage().hitPositions() - hitsBefore)
                    .isEqualTo(tokens.length);
        }
    }

    @Test
    void anImageSeenBeforeButEvictedBeforeTheFirstStepIsPreparedInTheStep() throws IOException {
        Path checkpoint = write(Family.LLAVA);
        try (Expert reusing = ExpertLoader.withBuiltInFamilies().load("reusing", checkpoint, LoadOptions.cpu());
                Expert computing =
                        ExpertLoader.withBuiltInFamilies().load("computing", checkpoint, LoadOptions.cpu())) {
            decoder(reusing).configure(REUSE);
            decoder(computing).configure(NO_REUSE);
            Prompt prompt = BatchedDecodingTest.prompts(Family.LLAVA).get(3);
            float[] expected;
            try (ExpertSession session = computing.open(prompt)) {
                expected = session.nextLogProbs();
            }
            try (ExpertSession session = reusing.open(prompt)) {
                session.nextLogProbs();
            }
            try (ExpertSession session = reusing.open(prompt)) { // the image is cached: not decoded here
                decoder(reusing).resetPrefixCache();
                assertThat(session.nextLogProbs()).containsExactly(expected, within(1e-4f));
                assertThat(session.cachedPromptPositions()).isZero();
            }
        }
    }

    /**
     * Decodes {@code prompt} greedily on both experts, along the computing one's answer, checks that the distributions
     * agree and that the reusing one took {@code cached} positions from its cache; returns the answer.
     */
    private static int[] compare(Expert reusing, Expert computing, Prompt prompt, int cached) {
        List<float[]> expected = new ArrayList<>();
        int[] answer = new int[TOKENS];
        try (ExpertSession session = computing.open(prompt)) {
            for (int t = 0; t < TOKENS; t++) {
                expected.add(session.nextLogProbs());
                answer[t] = BatchedDecodingTest.argmax(expected.get(t));
                session.append(answer[t]);
            }
        }
        try (ExpertSession session = reusing.open(prompt)) {
            for (int t = 0; t < TOKENS; t++) {
                assertThat(session.nextLogProbs()).as("token %d", t).containsExactly(expected.get(t), within(1e-4f));
                if (t == 0) {
                    assertThat(session.cachedPromptPositions()).isEqualTo(cached);
                }
                session.append(answer[t]);
            }
        }
        return answer;
    }

    private static BatchDecoder decoder(Expert expert) {
        return ((DecoderExpert) expert).batchDecoder();
    }

    private static int[] concat(int[]... parts) {
        int[] all = new int[0];
        for (int[] part : parts) {
            int from = all.length;
            all = Arrays.copyOf(all, from + part.length);
            System.arraycopy(part, 0, all, from, part.length);
        }
        return all;
    }

    private Path write(Family family) throws IOException {
        Path checkpoint = dir.resolve(family.name().toLowerCase());
        switch (family) {
            case LLAVA -> TinyLlava.write(checkpoint, TinyLlavaSpec.forTests(), 11);
            case INTERNVL -> TinyInternVl.write(checkpoint, TinyInternVl.Spec.forTests(), InternVlLayout.ORIGINAL, 11);
            default -> TinyCheckpoints.writeLlama(checkpoint, TinyLlamaSpec.forTests(), 11);
        }
        return checkpoint;
    }
}
