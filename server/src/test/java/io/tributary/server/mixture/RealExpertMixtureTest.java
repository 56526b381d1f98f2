package io.tributary.server.mixture;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The mixture invariants on real DJL experts: the two embedded default checkpoints. */
class RealExpertMixtureTest {

    @TempDir
    static Path cache;
    static Path root;
    static MixtureLoader loader;

    @BeforeAll
    static void writeExperts() {
        root = EmbeddedDefaultMixture.ensure(cache).getParent();
        loader = new MixtureLoader(ExpertLoader.withBuiltInFamilies(), LoadOptions.cpu());
    }

    @Test
    void oneHotWeightsReproduceTheSingleExpertTokenForToken() throws Exception {
        SamplingParams sampled = new SamplingParams(true, 0.8, 0, 0.95, 1.0, 99L);
        for (SamplingParams sampling : List.of(SamplingParams.GREEDY, sampled)) {
            try (ServedModel oneHot = loader.load(manifest("one-hot", RouterEntry.of("fixed", 0.0, 1.0), "expert-0", "expert-1"));
                 ServedModel single = loader.load(manifest("single", RouterEntry.of("uniform"), "expert-1"))) {
                RecordingListener mixed = generate(oneHot, sampling);
                RecordingListener alone = generate(single, sampling);

                assertThat(mixed.tokenIds()).hasSize(48).containsExactly(alone.tokenIds());
                for (int i = 0; i < 48; i++) {
                    assertThat(mixed.tokens.get(i).logProb()).isEqualTo(alone.tokens.get(i).logProb());
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
            assertThat(mixed).isNotEqualTo(generate(first, SamplingParams.GREEDY).tokenIds());
            assertThat(mixed).isNotEqualTo(generate(second, SamplingParams.GREEDY).tokenIds());
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
                .hasMessageContaining("router: routing mode 'fixed' needs one weight per expert: got 1 for 2 experts");
    }

    private static RecordingListener generate(ServedModel model, SamplingParams sampling) {
        RecordingListener listener = new RecordingListener();
        Prompt prompt = Prompt.ofTokens(model.encoder().apply("The river bends"));
        Generation generation = model.mixture().start(new GenerationRequest(prompt, sampling,
                new StoppingCriteria(48, List.of(), true)), listener);
        while (!generation.step()) {
            // decode inline
        }
        listener.result.join();
        return listener;
    }

    /** A manifest beside the embedded experts naming some of them. */
    private static Path manifest(String name, RouterEntry router, String... experts) {
        return ManifestReader.write(root.resolve(name + ".yaml"), MixtureManifest.of(name, router, experts));
    }
}
