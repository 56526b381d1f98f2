package io.tributary.tools.bench;

import io.tributary.model.llava.LlavaConfig;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter.StreamedTensor;
import io.tributary.tools.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LLaVA-1.5-7B benchmark checkpoint: its shapes are the Hub model's (checked by count, never written here), and
 * narrow shapes of the same layout load as a soft mixture whose experts share one tower.
 */
class LlavaShapeCheckpointTest {

    @Test
    void theSevenBHasTheHubModelsParametersInFloat16() {
        List<StreamedTensor> tensors = LlavaShapeCheckpoint.tensors(LlavaShapes.LLAVA_1_5_7B, 1);
        // Independent arithmetic: Llama-2-7B with a 32064-row embedding and head, CLIP ViT-L/14-336's vision model
        // (577 positions), the projector 1024 -> 4096 -> 4096 with biases.
        long h = 4096, mlp = 11008, vocab = 32064, e = 1024;
        long decoder = 2 * vocab * h + 32 * (4 * h * h + 3 * h * mlp + 2 * h) + h;
        long tower = e + e * 3 * 14 * 14 + 577 * e + 24 * (4 * e + 2 * e * 4096 + 4096 + e + 4 * (e * e + e)) + 4 * e;
        long projector = h * e + h + h * h + h;
        long parameters =
                tensors.stream().mapToLong(StreamedTensor::elementCount).sum();
        assertThat(parameters).isEqualTo(decoder + tower + projector).isEqualTo(7_063_427_072L);
        assertThat(tensors).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(SafetensorsDType.F16));
        assertThat(tensors.stream().mapToLong(StreamedTensor::byteLength).sum()).isEqualTo(14_126_854_144L);
    }

    @Test
    void theSevenBConfigReadsAsLlava15() {
        LlavaConfig config = LlavaConfig.fromJson(LlavaShapes.LLAVA_1_5_7B.config());
        assertThat(config.text().hiddenSize()).isEqualTo(4096);
        assertThat(config.text().numHiddenLayers()).isEqualTo(32);
        assertThat(config.text().vocabSize()).isEqualTo(32064);
        assertThat(config.text().maxPositionEmbeddings()).isEqualTo(4096);
        assertThat(config.vision().hiddenSize()).isEqualTo(1024);
        assertThat(config.vision().numHiddenLayers()).isEqualTo(24);
        assertThat(config.imageTokenIndex()).isEqualTo(32000);
        assertThat(config.resolvedFeatureLayers()).containsExactly(23);
        assertThat(config.keepClassToken()).isFalse();
        assertThat(config.tokensPerImage()).isEqualTo(576);
    }

    @Test
    void expertsDifferInTheirDecodersAndShareTheTowerByteForByte(@TempDir Path dir) throws IOException {
        LlavaShapes narrow = LlavaShapes.NARROW;
        LlavaShapeCheckpoint.write(dir.resolve("a"), narrow, 1);
        LlavaShapeCheckpoint.write(dir.resolve("b"), narrow, 2);
        assertThat(LlavaShapeCheckpoint.isComplete(dir.resolve("a"), narrow, 1)).isTrue();
        assertThat(LlavaShapeCheckpoint.isComplete(dir.resolve("a"), narrow, 2)).isFalse();
        assertThat(LlavaShapeCheckpoint.isComplete(dir.resolve("a"), LlavaShapes.LLAVA_1_5_7B, 1))
                .isFalse();

        Map<String, float[]> a = values(narrow, 1);
        Map<String, float[]> b = values(narrow, 2);
        assertThat(a.keySet()).isEqualTo(b.keySet());
        for (String name : a.keySet()) {
            boolean same = Arrays.equals(a.get(name), b.get(name));
            boolean constant = name.contains("norm") || name.contains("layrnorm");
            if (name.startsWith(LlavaShapeCheckpoint.TOWER_PREFIX) || constant) {
                assertThat(same).as(name).isTrue();
            } else {
                assertThat(same).as(name).isFalse();
            }
        }
        JsonNode index = new ObjectMapper()
                .readTree(dir.resolve("a/model.safetensors.index.json").toFile());
        assertThat(index.path("weight_map").size()).isEqualTo(a.size());
    }

    @Test
    void theBenchmarkLoadsASoftMixtureWithOneTowerAndDecodesTextAndAnImage(@TempDir Path dir) {
        PrintStream console = System.out;
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        CommandRun run;
        try {
            System.setOut(new PrintStream(table, true, StandardCharsets.UTF_8));
            run = CommandRun.of(
                    "bench",
                    "llava-7b",
                    "--dir",
                    dir.toString(),
                    "--narrow",
                    "--quantization",
                    "int4",
                    "--tokens",
                    "3");
        } finally {
            System.setOut(console);
        }
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(table.toString(StandardCharsets.UTF_8))
                .contains("expert-1 in")
                .contains("(shared: 1 tower held)")
                .contains("3 greedy tokens")
                .contains("(tower encodes: 1)");
        assertThat(Files.isRegularFile(dir.resolve("expert-1/" + LlavaShapeCheckpoint.COMPLETE_MARKER)))
                .isTrue();
    }

    private static Map<String, float[]> values(LlavaShapes shapes, long seed) {
        return LlavaShapeCheckpoint.tensors(shapes, seed).stream()
                .collect(Collectors.toMap(StreamedTensor::name, LlavaShapeCheckpointTest::fill, (x, y) -> x));
    }

    private static float[] fill(StreamedTensor tensor) {
        float[] values = new float[(int) tensor.elementCount()];
        tensor.values().fill(0, values, values.length);
        return values;
    }
}
