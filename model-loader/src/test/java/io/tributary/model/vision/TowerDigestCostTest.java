package io.tributary.model.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

/**
 * What digesting a real-sized tower costs at load: a CLIP ViT-B/16 vision tower (the paper's router, 86 M
 * parameters) written in float32 or float16. Manual: {@code -Dtributary.digestCost=true} (writes ~350 MB).
 */
@EnabledIfSystemProperty(named = "tributary.digestCost", matches = "true")
class TowerDigestCostTest {

    @TempDir
    Path dir;

    @Test
    void digestOfAVitB16Tower() throws Exception {
        for (SafetensorsDType dtype : List.of(SafetensorsDType.F32, SafetensorsDType.F16)) {
            ClipVisionConfig config = ClipVisionConfig.fromJson(new ObjectMapper().readTree(
                    "{\"patch_size\": 16, \"image_size\": 224}"));
            SplittableRandom random = new SplittableRandom(1);
            List<Tensor> tensors = new ArrayList<>();
            long bytes = 0;
            for (Map.Entry<String, long[]> e : ClipVisionModel.towerShapes(config, "").entrySet()) {
                long count = 1;
                for (long d : e.getValue()) {
                    count *= d;
                }
                float[] values = new float[(int) count];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextDouble(-0.05, 0.05);
                }
                tensors.add(new Tensor(e.getKey(), dtype, e.getValue(), values));
                bytes += count * dtype.bytes();
            }
            Path checkpoint = dir.resolve(dtype.name());
            java.nio.file.Files.createDirectories(checkpoint);
            SafetensorsWriter.write(checkpoint.resolve("model.safetensors"), tensors, Map.of());
            tensors.clear();
            CheckpointTensors opened = CheckpointTensors.open(checkpoint);
            String first = null;
            for (int run = 0; run < 3; run++) {
                long started = System.nanoTime();
                String digest = TowerDigest.of(opened, config, "");
                double ms = (System.nanoTime() - started) / 1e6;
                System.out.printf("digest %s ViT-B/16 tower, %d MB: %.0f ms (%.0f MB/s), %d cores%n", dtype,
                        bytes >> 20, ms, (bytes >> 20) / (ms / 1000), Runtime.getRuntime().availableProcessors());
                first = first == null ? digest : first;
                assertThat(digest).isEqualTo(first);
            }
        }
    }
}
