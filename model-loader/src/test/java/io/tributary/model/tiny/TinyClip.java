package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny CLIP checkpoint for the router's image features: the vision tower a tiny LLaVA expert of
 * {@code towerSeed} has (byte for byte, so a router on it shares the experts' encoder), under
 * {@code vision_model.*}, plus a {@code visual_projection}. Written as {@code CLIPVisionModelWithProjection}, or as
 * a whole {@code CLIPModel} with a stand-in text half.
 */
public final class TinyClip {

    private static final String LLAVA_TOWER = "vision_tower.";

    private TinyClip() {}

    public static void write(Path dir, TinyLlavaSpec spec, long towerSeed, boolean clipModel) throws IOException {
        Files.createDirectories(dir);
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : TinyLlava.weights(spec, towerSeed)) {
            if (t.name().startsWith(LLAVA_TOWER)) {
                tensors.add(new Tensor(t.name().substring(LLAVA_TOWER.length()), t.dtype(), t.shape(), t.values()));
            }
        }
        Collections.reverse(tensors); // another file order than LLaVA's: identity must not depend on it
        int hidden = spec.visionHidden();
        int projection = spec.projectionDim();
        tensors.add(normal("visual_projection.weight", towerSeed + 1, projection, hidden));
        if (clipModel) {
            tensors.add(normal("text_model.embeddings.token_embedding.weight", 5, 16, hidden));
            tensors.add(normal("text_projection.weight", 6, projection, hidden));
            tensors.add(new Tensor("logit_scale", SafetensorsDType.F32, new long[0], new float[] {2.6592f}));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        String vision = """
                {"hidden_size": %d, "image_size": %d, "intermediate_size": %d, "model_type": "clip_vision_model",
                 "num_attention_heads": %d, "num_hidden_layers": %d, "patch_size": %d, "projection_dim": %d}""".formatted(
                        hidden,
                        spec.imageSize(),
                        spec.visionIntermediate(),
                        spec.visionHeads(),
                        spec.visionLayers(),
                        spec.patchSize(),
                        projection);
        String config = clipModel
                ? "{\"architectures\": [\"CLIPModel\"], \"model_type\": \"clip\", \"projection_dim\": " + projection
                        + ", \"text_config\": {\"hidden_size\": " + hidden + "}, \"vision_config\": " + vision + "}"
                : vision.replace(
                        "{\"hidden_size\"",
                        "{\"architectures\": [\"CLIPVisionModelWithProjection\"], " + "\"hidden_size\"");
        Files.writeString(dir.resolve("config.json"), config);
        Files.writeString(dir.resolve("preprocessor_config.json"), """
                {"crop_size": {"height": %d, "width": %d}, "do_center_crop": true, "do_normalize": true,
                 "do_rescale": true, "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
                 "image_std": [0.26862954, 0.26130258, 0.27577711], "image_processor_type": "CLIPImageProcessor",
                 "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": %d}}""".formatted(
                        spec.imageSize(), spec.imageSize(), spec.imageSize()));
    }

    private static Tensor normal(String name, long seed, int rows, int columns) {
        Random random = new Random(seed);
        float[] values = new float[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() / Math.sqrt(columns));
        }
        return new Tensor(name, SafetensorsDType.F32, new long[] {rows, columns}, values);
    }
}
