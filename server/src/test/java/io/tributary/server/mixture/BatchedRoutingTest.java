package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.NativeMemory;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.server.TinyTextMixture;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every routing mode on real experts (the tiny text mixture) gives the same tokens (and log-probs within 1e-4)
 * when requests are decoded together by the batching scheduler, prompts prefilled in small chunks and requests
 * joining while others run, as when each request is decoded alone.
 */
class BatchedRoutingTest {

    private static final List<String> PROMPTS = List.of(
            "The river bends",
            "A",
            "Stones under the water keep",
            "Rain",
            "Where the valley opens wide and the old mill stands",
            "Fish");
    private static final int[] MAX_NEW_TOKENS = {24, 9, 17, 30, 12, 20};

    @TempDir
    static Path cache;

    static Path root;

    @BeforeAll
    static void writeExperts() throws Exception {
        root = TinyTextMixture.write(cache).getParent();
        SafetensorsWriter.write(
                root.resolve("clusters.safetensors"),
                List.of(
                        new Tensor("centroids", SafetensorsDType.F32, new long[] {2, 2}, new float[] {1, 0, 0, 1}),
                        new Tensor("global_mean", SafetensorsDType.F32, new long[] {2}, new float[] {0, 0})),
                Map.of());
        SafetensorsWriter.write(
                root.resolve("classifier.safetensors"),
                List.of(
                        new Tensor(
                                "layers.0.weight", SafetensorsDType.F32, new long[] {2, 2}, new float[] {1, 0, 0, 1}),
                        new Tensor("layers.0.bias", SafetensorsDType.F32, new long[] {2}, new float[] {0, 0})),
                Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "fixed", "hard", "soft", "top-k", "posterior", "learned"})
    void batchedDecodingEqualsDecodingAlone(String mode) throws Exception {
        RouterEntry router = new RouterEntry(
                mode,
                mode.equals("fixed") ? List.of(0.3, 0.7) : null,
                mode.equals("soft") || mode.equals("top-k") ? 5.0 : null,
                mode.equals("top-k") ? 1 : null,
                null,
                "clusters.safetensors",
                mode.equals("learned") ? "classifier.safetensors" : null,
                null);
        Path manifest = ManifestReader.write(
                root.resolve(mode + ".yaml"),
                new MixtureManifest(
                        mode,
                        List.of(
                                new MixtureManifest.ExpertEntry("expert-0", "expert-0"),
                                new MixtureManifest.ExpertEntry("expert-1", "expert-1")),
                        router));
        try (ServedModel model = new MixtureLoader(LoadOptions.cpu()).load(manifest)) {
            List<RecordingListener> alone = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                alone.add(new RecordingListener());
                Generation generation = model.mixture().start(request(model, i), alone.get(i));
                while (!generation.step()) {
                    // decode inline, alone
                }
            }
            List<RecordingListener> batched = new ArrayList<>();
            // A budget of 3 positions a step: prompts are prefilled in chunks beside the running decodes.
            try (DecodeScheduler scheduler = new DecodeScheduler(
                    model.mixture(),
                    new DecodeScheduler.Limits(8, 8, 3, Long.MAX_VALUE),
                    Executors.defaultThreadFactory())) {
                for (int i = 0; i < PROMPTS.size(); i++) {
                    batched.add(new RecordingListener());
                    scheduler.submit(model.mixture().start(request(model, i), batched.get(i)));
                    if (i == 2) {
                        // The rest join once the first are decoding.
                        awaitTokens(batched.get(0), 3);
                    }
                }
                for (int i = 0; i < PROMPTS.size(); i++) {
                    batched.get(i).result.get(60, TimeUnit.SECONDS);
                    assertThat(batched.get(i).tokenIds())
                            .as("%s request %d", mode, i)
                            .hasSize(MAX_NEW_TOKENS[i])
                            .containsExactly(alone.get(i).tokenIds());
                    for (int t = 0; t < MAX_NEW_TOKENS[i]; t++) {
                        assertThat(batched.get(i).tokens.get(t).logProb())
                                .as("%s request %d token %d", mode, i, t)
                                .isCloseTo(alone.get(i).tokens.get(t).logProb(), within(1e-4f));
                        assertThat(batched.get(i).tokens.get(t).expertWeights())
                                .containsExactly(alone.get(i).tokens.get(t).expertWeights(), within(1e-4));
                    }
                }
                assertThat(scheduler.statistics().batchedSessions())
                        .as("requests shared passes")
                        .isGreaterThan(scheduler.statistics().passes());
            }
            for (var expert : model.mixture().experts()) {
                ((DecoderExpert) expert).batchDecoder().resetPrefixCache(); // the blocks kept for reuse
                assertThat(((NativeMemory) expert).kvCacheBytes())
                        .as("KV cache freed")
                        .isZero();
            }
        }
    }

    private static GenerationRequest request(ServedModel model, int i) {
        Prompt prompt = Prompt.ofTokens(model.prompts().encode(PROMPTS.get(i)));
        return new GenerationRequest(
                prompt, SamplingParams.GREEDY, new StoppingCriteria(MAX_NEW_TOKENS[i], List.of(), true));
    }

    private static void awaitTokens(RecordingListener listener, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (listener.tokens.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }
}
