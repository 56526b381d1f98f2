package io.tributary.model.vision;

import io.tributary.model.LoadOptions;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.tributary.model.vision.TowerCheckpoints.IMAGE;
import static io.tributary.model.vision.TowerCheckpoints.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * LLaVA experts whose CLIP towers are the same tensors share one tower through {@link VisionTowers}: weights held
 * once, each image encoded once per request whatever K, outputs unchanged, native arrays owned and returned.
 */
class SharedVisionTowerTest {

    private static final long SHARED_TOWER = 100;

    @TempDir
    Path dir;

    private final List<LlavaExpert> experts = new ArrayList<>();
    private VisionTowers towers;

    @AfterEach
    void close() {
        experts.forEach(LlavaExpert::close);
        if (towers != null) {
            towers.close();
        }
    }

    /** Expert k: its own decoder and projector (seed k), the tower of {@code towerSeed}, its own image processor. */
    private LlavaExpert expert(int k, long towerSeed, VisionTowers registry) throws IOException {
        Path checkpoint = TowerCheckpoints.llava(dir.resolve("expert-" + k + "-" + towerSeed), k, towerSeed);
        LlavaExpert expert = LlavaExpert.load(
                "e" + k,
                checkpoint,
                LoadOptions.cpu(),
                ClipImageProcessor.forCheckpoint(checkpoint, ImageLimits.DEFAULT),
                registry);
        // These tests count the tower's encodes: a prompt repeated whole would take its image from the prefix cache.
        expert.batchDecoder().configure(new KvCacheSettings(KvCacheSettings.DEFAULT.blockPositions(), false, 0));
        experts.add(expert);
        return expert;
    }

    private static Prompt prompt(ImageInput... images) {
        int[] tokens = new int[2 + 2 * images.length];
        tokens[0] = 1;
        for (int i = 0; i < images.length; i++) {
            tokens[1 + 2 * i] = IMAGE;
            tokens[2 + 2 * i] = 40 + i;
        }
        tokens[tokens.length - 1] = 50;
        return new Prompt(tokens, List.of(images));
    }

    /** One request as the decode loop runs it: every expert opened, prefilled, one token appended and run. */
    private static List<float[]> request(List<LlavaExpert> experts, Prompt prompt) {
        List<float[]> out = new ArrayList<>();
        for (LlavaExpert expert : experts) {
            try (ExpertSession session = expert.open(prompt)) {
                session.nextLogProbs();
                session.append(7);
                out.add(session.nextLogProbs());
            }
        }
        return out;
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 4})
    void expertsWithTheSameClipEncodeEachImageOncePerRequest(int k) throws IOException {
        towers = new VisionTowers();
        for (int i = 0; i < k; i++) {
            expert(i, SHARED_TOWER, towers);
        }
        assertThat(towers.towers())
                .as("one tower for K experts with the same CLIP")
                .isEqualTo(1);

        request(experts, prompt(png(1), png(2)));
        assertThat(towers.encodes()).as("2 images, K = %d experts", k).isEqualTo(2);
        request(experts, prompt(png(3), png(1)));
        assertThat(towers.encodes())
                .as("one new image; the other cached from the last request")
                .isEqualTo(3);
        assertThat(towers.cacheHits()).isEqualTo(2L * k - 2 + 2L * k - 1);
    }

    @Test
    void sharingChangesNoOutput() throws IOException {
        towers = new VisionTowers();
        List<LlavaExpert> shared = List.of(expert(0, SHARED_TOWER, towers), expert(1, SHARED_TOWER, towers));
        List<LlavaExpert> own = List.of(expert(0, SHARED_TOWER, null), expert(1, SHARED_TOWER, null));
        Prompt prompt = prompt(png(4), png(5));
        List<float[]> sharedOut = request(shared, prompt);
        List<float[]> ownOut = request(own, prompt);
        for (int i = 0; i < 2; i++) {
            assertThat(sharedOut.get(i)).containsExactly(ownOut.get(i), within(1e-5f));
        }
        assertThat(sharedOut.get(0)).as("different decoders still differ").isNotEqualTo(sharedOut.get(1));
    }

    @Test
    void aPromptWithoutImagesRunsNoTowerAndScoresItsText() throws IOException {
        towers = new VisionTowers();
        LlavaExpert shared = expert(0, SHARED_TOWER, towers);
        LlavaExpert own = expert(0, SHARED_TOWER, null);
        Prompt text = new Prompt(new int[] {1, 40, 41, 50}, List.of());
        try (ExpertSession a = shared.open(text);
                ExpertSession b = own.open(text)) {
            assertThat(a.promptLogLikelihood()).isCloseTo(b.promptLogLikelihood(), within(1e-4));
            assertThat(a.nextLogProbs()).containsExactly(b.nextLogProbs(), within(1e-5f));
        }
        assertThat(towers.encodes()).isZero();
    }

    @Test
    void expertsWithDifferentClipWeightsEncodeOncePerDistinctTower() throws IOException {
        towers = new VisionTowers();
        expert(0, SHARED_TOWER, towers);
        expert(1, SHARED_TOWER, towers);
        expert(2, 200, towers);
        assertThat(towers.towers()).isEqualTo(2);
        request(experts, prompt(png(1), png(2)));
        assertThat(towers.encodes()).as("2 images through 2 distinct towers").isEqualTo(4);
    }

    @Test
    void nativeArraysReturnToBaselineAfterRequestsEvictionAndClose() throws IOException {
        towers = new VisionTowers();
        List<LlavaExpert> two = List.of(expert(0, SHARED_TOWER, towers), expert(1, SHARED_TOWER, towers));
        int[] expertBaselines = two.stream().mapToInt(LlavaExpert::liveArrays).toArray();
        int towerBaseline = towers.liveArrays();
        for (int r = 0; r < 3; r++) {
            request(two, prompt(png(10 + r), png(20 + r)));
        }
        two.forEach(expert -> expert.batchDecoder().resetPrefixCache()); // the kept blocks are the cache's
        assertThat(two.stream().mapToInt(LlavaExpert::liveArrays).toArray()).containsExactly(expertBaselines);
        assertThat(towers.cachedEncodings()).isEqualTo(6);
        assertThat(towers.liveArrays())
                .as("one kept hidden state per cached image")
                .isEqualTo(towerBaseline + 6);
        towers.clearCache();
        assertThat(towers.liveArrays()).isEqualTo(towerBaseline);
        experts.get(0).close();
        assertThat(towers.towers()).as("still held by the other expert").isEqualTo(1);
        experts.get(1).close();
        assertThat(towers.towers()).isZero();
        assertThat(towers.liveArrays()).isZero();
    }

    @Test
    void cacheIsBoundedAndEvictsTheLeastRecentlyUsed() throws IOException {
        // One image keeps hidden state 1: (16 patches + class) x 32 floats.
        long entry = (SPEC_TOKENS + 1L) * TowerCheckpoints.SPEC.visionHidden() * Float.BYTES;
        towers = new VisionTowers(2 * entry);
        List<LlavaExpert> one = List.of(expert(0, SHARED_TOWER, towers));
        int towerBaseline = towers.liveArrays();
        request(one, prompt(png(1)));
        request(one, prompt(png(2)));
        request(one, prompt(png(1))); // a hit: 1 is now the most recently used
        request(one, prompt(png(3))); // evicts 2
        assertThat(towers.encodes()).isEqualTo(3);
        assertThat(towers.cachedEncodings()).isEqualTo(2);
        assertThat(towers.cachedBytes()).isEqualTo(2 * entry);
        assertThat(towers.liveArrays()).as("evicted encodings are closed").isEqualTo(towerBaseline + 2);
        request(one, prompt(png(1)));
        assertThat(towers.encodes()).as("1 survived").isEqualTo(3);
        request(one, prompt(png(2)));
        assertThat(towers.encodes()).as("2 was evicted").isEqualTo(4);
    }

    private static final int SPEC_TOKENS = TowerCheckpoints.SPEC.tokensPerImage();

    @Test
    void concurrentRequestsOnSeveralDecodeThreadsEncodeEachImageOnce() throws Exception {
        towers = new VisionTowers();
        for (int i = 0; i < 4; i++) {
            expert(i, SHARED_TOWER, towers);
        }
        List<float[]> sequential = request(experts, prompt(png(30), png(31)));
        towers.clearCache();
        long before = towers.encodes();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (LlavaExpert expert : experts) {
                results.add(threads.submit(() -> {
                    start.await();
                    return request(List.of(expert), prompt(png(30), png(31))).get(0);
                }));
            }
            start.countDown();
            for (int i = 0; i < 4; i++) {
                assertThat(results.get(i).get()).containsExactly(sequential.get(i), within(1e-5f));
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(towers.encodes() - before).as("4 threads, 2 images").isEqualTo(2);
        experts.forEach(e -> assertThat(e.liveArrays()).isEqualTo(experts.get(0).liveArrays()));
    }
}
