package io.tributary.model.llama;

import ai.djl.pytorch.jni.JniUtils;
import io.tributary.model.LoadOptions;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Native tensors are owned: live NDArrays are counted recursively from the expert's root manager (weights, then
 * every session's and step's sub-manager), and must return to the weights-only baseline when sessions close.
 */
class NativeMemoryTest {

    @TempDir
    static Path dir;

    private static LlamaExpert expert;
    private static int baseline;

    @BeforeAll
    static void load() throws Exception {
        TinyCheckpoints.writeLlama(dir, TinyLlamaSpec.forTests(), 9);
        expert = LlamaExpert.load("memory", dir, LoadOptions.cpu());
        // Kept prefix blocks are not leaks, but would hide one: the prefix cache's own tests count them.
        expert.batchDecoder().configure(new KvCacheSettings(KvCacheSettings.DEFAULT.blockPositions(), false, 0));
        baseline = expert.liveArrays();
    }

    @AfterAll
    static void close() {
        expert.close();
    }

    @Test
    void baselineIsTheWeightsAndRopeTables() {
        int layers = TinyLlamaSpec.forTests().numLayers();
        // embeddings, lm_head, final norm + 7 per layer (2 norms, qkv, o, gate, up, down) + cos, sin, rotate_half,
        // identity + the RMSNorm epsilon
        assertThat(baseline).isEqualTo(3 + 7 * layers + 4 + 1);
    }

    @Test
    void manySessionsLeaveNothingBehind() {
        Random random = new Random(1);
        for (int s = 0; s < 50; s++) {
            try (ExpertSession session =
                    expert.open(Prompt.ofTokens(random.ints(5, 0, 512).toArray()))) {
                for (int t = 0; t < 20; t++) {
                    session.nextLogProbs();
                    session.append(random.nextInt(512));
                }
                session.nextLogProbs();
            }
            expert.batchDecoder().resetPrefixCache(); // blocks kept for reuse are the cache's, not the session's
            assertThat(expert.liveArrays()).as("after session %d", s).isEqualTo(baseline);
        }
    }

    @Test
    void stepsDoNotAccumulateWithinASession() {
        try (ExpertSession session = expert.open(Prompt.ofTokens(1, 2, 3))) {
            session.nextLogProbs();
            int withCache = expert.liveArrays();
            int layers = TinyLlamaSpec.forTests().numLayers();
            assertThat(withCache).as("K and V per layer").isEqualTo(baseline + 2 * layers);
            for (int t = 0; t < 30; t++) {
                session.append(7);
                session.nextLogProbs();
            }
            assertThat(expert.liveArrays()).isEqualTo(withCache);
        }
    }

    @Test
    void sessionClosedMidwayFreesItsCache() {
        ExpertSession abandoned = expert.open(Prompt.ofTokens(4, 5, 6, 7));
        abandoned.nextLogProbs();
        abandoned.append(8); // fed but never run
        assertThat(expert.liveArrays()).isGreaterThan(baseline);
        abandoned.close();
        assertThat(expert.liveArrays()).isEqualTo(baseline);
    }

    @Test
    void sessionsOnOtherThreadsRunWithoutAutogradAndCleanUp() throws Exception {
        AtomicBoolean gradModeDuringDecode = new AtomicBoolean(true);
        Thread worker = new Thread(() -> {
            try (ExpertSession session = expert.open(Prompt.ofTokens(1, 2))) {
                for (int t = 0; t < 10; t++) {
                    session.append(session.nextLogProbs().length % 100);
                }
                gradModeDuringDecode.set(JniUtils.isGradMode());
            }
        });
        worker.start();
        worker.join();
        assertThat(gradModeDuringDecode)
                .as("autograd records a graph per op unless switched off per thread")
                .isFalse();
        assertThat(expert.liveArrays()).isEqualTo(baseline);
    }
}
