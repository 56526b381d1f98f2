package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.server.TinyTextMixture;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The mixture invariants on real DJL experts: the two checkpoints of the tiny text mixture. */
class RealExpertMixtureTest {

    private static final String PROMPT = "The river bends";

    @TempDir
    static Path cache;

    static Path root;
    static MixtureLoader loader;

    @BeforeAll
    static void writeExperts() {
        root = TinyTextMixture.write(cache.resolve("mixture")).getParent();
        loader = new MixtureLoader(LoadOptions.cpu());
    }

    @Test
    void oneHotWeightsReproduceTheSingleExpertTokenForToken() throws Exception {
        SamplingParams sampled = new SamplingParams(true, 0.8, 0, 0.95, 1.0, 99L);
        for (SamplingParams sampling : List.of(SamplingParams.GREEDY, sampled)) {
            try (ServedModel oneHot = loader.load(
                            manifest("one-hot", RouterEntry.of("fixed", 0.0, 1.0), "expert-0", "expert-1"));
                    ServedModel single = loader.load(manifest("single", RouterEntry.of("uniform"), "expert-1"))) {
                RecordingListener mixed = generate(oneHot, sampling);
                RecordingListener alone = generate(single, sampling);

                assertThat(mixed.tokenIds()).hasSize(48).containsExactly(alone.tokenIds());
                for (int i = 0; i < 48; i++) {
                    assertThat(mixed.tokens.get(i).logProb())
                            .isEqualTo(alone.tokens.get(i).logProb());
                }
            }
        }
    }

    @Test
    void theUniformMixtureIsNotEitherExpertAlone() throws Exception {
        try (ServedModel uniform = loader.load(manifest("uniform", RouterEntry.of("uniform"), "expert-0", "expert-1"));
                ServedModel first = loader.load(manifest("first", RouterEntry.of("uniform"), "expert-0"));
                ServedModel second = loader.load(manifest("second", RouterEntry.of("uniform"), "expert-1"))) {
            int[] mixed = generate(uniform, SamplingParams.GREEDY).tokenIds();
            assertThat(mixed)
                    .isNotEqualTo(generate(first, SamplingParams.GREEDY).tokenIds());
            assertThat(mixed)
                    .isNotEqualTo(generate(second, SamplingParams.GREEDY).tokenIds());
        }
    }

    @Test
    void expertsWithDifferentTokenizersAreRefusedAtLoad() throws Exception {
        Path odd = Files.createDirectories(cache.resolve("odd"));
        for (String file : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(root.resolve("expert-1").resolve(file), odd.resolve(file));
        }
        Files.writeString(odd.resolve("tokenizer.json"), Files.readString(odd.resolve("tokenizer.json")) + " ");

        assertThatThrownBy(() -> loader.load(manifest("mismatch", RouterEntry.of("uniform"), "expert-0", "../odd")))
                .hasMessageContaining("expert '../odd' has a different tokenizer.json than expert 'expert-0'");
    }

    @Test
    void aBadRouterInTheManifestFailsStartUpNamingIt() throws Exception {
        assertThatThrownBy(() -> loader.load(manifest("bad", RouterEntry.of("fixed", 1.0), "expert-0", "expert-1")))
                .hasMessageContaining("router.weights: expected 2 weights (one per expert), got 1");
    }

    @Test
    void hardRoutingOfATextPromptDecodesWithTheExpertThatExplainsItBest() throws Exception {
        Path clusters = writeClusters("clusters.safetensors");
        MixtureManifest manifest = new MixtureManifest(
                "hard",
                List.of(
                        new MixtureManifest.ExpertEntry("expert-0", "expert-0"),
                        new MixtureManifest.ExpertEntry("expert-1", "expert-1")),
                new RouterEntry(
                        "hard",
                        null,
                        null,
                        null,
                        List.of(0.5, 0.5),
                        clusters.getFileName().toString(),
                        null,
                        null));
        try (ServedModel hard = loader.load(ManifestReader.write(root.resolve("hard.yaml"), manifest));
                ServedModel first = loader.load(manifest("first", RouterEntry.of("uniform"), "expert-0"));
                ServedModel second = loader.load(manifest("second", RouterEntry.of("uniform"), "expert-1"))) {
            int[] prompt = hard.prompts().encode(PROMPT);
            double[] likelihoods = {likelihood(first, prompt), likelihood(second, prompt)};
            int best = likelihoods[0] >= likelihoods[1] ? 0 : 1;

            RecordingListener routed = generate(hard, SamplingParams.GREEDY);
            RecordingListener alone = generate(best == 0 ? first : second, SamplingParams.GREEDY);
            assertThat(routed.tokens.get(0).expertWeights())
                    .containsExactly(best == 0 ? 1.0 : 0.0, best == 0 ? 0.0 : 1.0);
            assertThat(routed.tokenIds()).containsExactly(alone.tokenIds());
        }
    }

    @Test
    void posteriorWeightsAreBayesRuleOnTheRealExpertsWholeSequenceLikelihoods() throws Exception {
        try (ServedModel posterior =
                        loader.load(manifest("posterior", RouterEntry.of("posterior"), "expert-0", "expert-1"));
                ServedModel first = loader.load(manifest("first", RouterEntry.of("uniform"), "expert-0"));
                ServedModel second = loader.load(manifest("second", RouterEntry.of("uniform"), "expert-1"))) {
            RecordingListener routed = generate(posterior, SamplingParams.GREEDY);
            int[] sequence = posterior.prompts().encode(PROMPT);
            int last = routed.tokens.size() - 1;
            int[] prefix = Arrays.copyOf(sequence, sequence.length + last);
            System.arraycopy(routed.tokenIds(), 0, prefix, sequence.length, last);
            // Uniform priors: w_0 = 1 / (1 + exp(LL_1 − LL_0)) over everything before the last token.
            double difference = likelihood(second, prefix) - likelihood(first, prefix);
            assertThat(routed.tokens.get(last).expertWeights()[0])
                    .isCloseTo(1 / (1 + Math.exp(difference)), within(1e-4));
        }
    }

    /** An expert's log-likelihood of a whole sequence, scored from scratch. */
    private static double likelihood(ServedModel single, int[] sequence) {
        try (ExpertSession session = single.mixture().experts().get(0).open(Prompt.ofTokens(sequence))) {
            return session.promptLogLikelihood();
        }
    }

    private static Path writeClusters(String name) throws Exception {
        Path file = root.resolve(name);
        SafetensorsWriter.write(
                file,
                List.of(
                        new Tensor("centroids", SafetensorsDType.F32, new long[] {2, 2}, new float[] {1, 0, 0, 1}),
                        new Tensor("global_mean", SafetensorsDType.F32, new long[] {2}, new float[] {0, 0})),
                Map.of());
        return file;
    }

    private static RecordingListener generate(ServedModel model, SamplingParams sampling) {
        RecordingListener listener = new RecordingListener();
        Prompt prompt = Prompt.ofTokens(model.prompts().encode(PROMPT));
        Generation generation = model.mixture()
                .start(new GenerationRequest(prompt, sampling, new StoppingCriteria(48, List.of(), true)), listener);
        while (!generation.step()) {
            // decode inline
        }
        listener.result.join();
        return listener;
    }

    /** A manifest beside the tiny text experts naming some of them. */
    private static Path manifest(String name, RouterEntry router, String... experts) {
        return ManifestReader.write(root.resolve(name + ".yaml"), MixtureManifest.of(name, router, experts));
    }
}
