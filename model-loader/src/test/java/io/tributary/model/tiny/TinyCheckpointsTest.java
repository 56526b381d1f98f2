package io.tributary.model.tiny;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class TinyCheckpointsTest {

    private static final List<String> FILES = List.of(
            "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");

    @TempDir
    Path dir;

    @Test
    void sameSeedGivesIdenticalBytesAndOtherSeedsOnlyOtherWeights() throws IOException {
        TinyCheckpoints.writeLlama(dir.resolve("a"), TinyLlamaSpec.forTests(), 7);
        TinyCheckpoints.writeLlama(dir.resolve("b"), TinyLlamaSpec.forTests(), 7);
        TinyCheckpoints.writeLlama(dir.resolve("c"), TinyLlamaSpec.forTests(), 8);
        try (Stream<Path> written = Files.list(dir.resolve("a"))) {
            assertThat(written.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(FILES);
        }
        for (String file : FILES) {
            assertThat(Files.readAllBytes(dir.resolve("b").resolve(file)))
                    .as(file)
                    .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(file)));
        }
        assertThat(Files.readAllBytes(dir.resolve("c/model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("a/model.safetensors")));
        assertThat(Files.readAllBytes(dir.resolve("c/tokenizer.json")))
                .isEqualTo(Files.readAllBytes(dir.resolve("a/tokenizer.json")));
    }

    @Test
    void weightsFollowHuggingFaceInitialisation() {
        List<Tensor> tensors = TinyCheckpoints.llamaWeights(TinyLlamaSpec.small(), 1);
        float[] embeddings = tensors.get(0).values();
        double sum = 0;
        double squares = 0;
        for (float value : embeddings) {
            sum += value;
            squares += value * value;
        }
        double mean = sum / embeddings.length;
        assertThat(mean).isBetween(-1e-3, 1e-3);
        assertThat(Math.sqrt(squares / embeddings.length - mean * mean)).isBetween(0.0195, 0.0205);
        assertThat(tensors)
                .filteredOn(t -> t.name().endsWith("norm.weight"))
                .allSatisfy(t -> assertThat(t.values()).containsOnly(1f));
    }

    @Test
    void embeddedMixtureLoadsBackThroughTheRegistry() throws IOException {
        List<Path> experts = TinyCheckpoints.writeLlamaMixture(dir, TinyLlamaSpec.small(), 1, 2);
        ExpertLoader loader = ExpertLoader.withBuiltInFamilies();
        assertThat(loader.inspect(experts.get(0)).eosTokenIds()).containsExactly(TinyTokenizer.EOS_ID);
        try (HfTokenizer tokenizer = loader.loadTokenizer(experts.get(0));
                Expert first = loader.load("first", experts.get(0), LoadOptions.cpu());
                Expert second = loader.load("second", experts.get(1), LoadOptions.cpu())) {
            assertThat(first).isInstanceOf(LlamaExpert.class);
            assertThat(((LlamaExpert) first).config().hiddenSize()).isEqualTo(256);
            assertThat(((LlamaExpert) first).config().numKeyValueHeads()).isEqualTo(4);
            assertThat(first.vocabularySize()).isEqualTo(tokenizer.vocabularySize());
            Prompt prompt = Prompt.ofTokens(tokenizer.encode("Where does the river begin?"));
            try (ExpertSession a = first.open(prompt);
                    ExpertSession b = second.open(prompt)) {
                assertThat(a.nextLogProbs())
                        .as("different seeds, different experts")
                        .isNotEqualTo(b.nextLogProbs());
            }
        }
    }
}
