package io.tributary.tools.bench;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.StreamedTensor;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A randomly initialised LLaVA-1.5 checkpoint in llava-hf's layout ({@code language_model.model.*},
 * {@code language_model.lm_head.weight}, {@code multi_modal_projector.*}, {@code vision_tower.vision_model.*}),
 * float16 as the Hub's, sharded in files of at most 2 GB with {@code model.safetensors.index.json}, plus
 * {@code config.json}, {@code generation_config.json} and {@code preprocessor_config.json}. No tokenizer: the
 * benchmark feeds token ids.
 *
 * <p>An expert's decoder and projector come from its own seed; the CLIP tower from {@link #TOWER_SEED}, the same
 * for every expert, byte for byte. LLaVA experts fine-tuned from one base keep CLIP frozen, so a mixture of them
 * holds one tower ({@code VisionTowers} shares towers of equal content) and encodes each image once. Values are
 * produced while writing ({@link RandomTensors}): the 7B's 14 GB are never in the heap.
 */
final class LlavaShapeCheckpoint {

    /** Written last: a directory holding it holds a complete checkpoint of these shapes and seed. */
    static final String COMPLETE_MARKER = "benchmark-checkpoint.complete";

    static final long MAX_SHARD_BYTES = 2_000_000_000L;
    static final long TOWER_SEED = 336;
    static final String TOWER_PREFIX = "vision_tower.vision_model.";
    static final String PROJECTOR_PREFIX = "multi_modal_projector.";
    private static final String VERSION = "llava-1.5-random-f16-v1";

    private LlavaShapeCheckpoint() {}

    /** True if {@code directory} already holds this checkpoint. */
    static boolean isComplete(Path directory, LlavaShapes shapes, long seed) throws IOException {
        Path marker = directory.resolve(COMPLETE_MARKER);
        return Files.isRegularFile(marker) && Files.readString(marker).strip().equals(stamp(shapes, seed));
    }

    static void write(Path directory, LlavaShapes shapes, long seed) throws IOException {
        Files.createDirectories(directory);
        Files.deleteIfExists(directory.resolve(COMPLETE_MARKER));
        Files.writeString(directory.resolve("config.json"), pretty(shapes.config()));
        Files.writeString(directory.resolve("generation_config.json"), pretty(shapes.generationConfig()));
        Files.writeString(directory.resolve("preprocessor_config.json"), pretty(shapes.preprocessorConfig()));
        SafetensorsWriter.writeShardedStreamed(
                directory, tensors(shapes, seed), Map.of("format", "pt"), MAX_SHARD_BYTES);
        Files.writeString(directory.resolve(COMPLETE_MARKER), stamp(shapes, seed) + "\n");
    }

    private static String stamp(LlavaShapes shapes, long seed) {
        return VERSION + " " + shapes + " seed " + seed;
    }

    /** Every tensor of the checkpoint in file order: decoder, projector, then the tower (from {@link #TOWER_SEED}). */
    static List<StreamedTensor> tensors(LlavaShapes s, long seed) {
        RandomTensors v = new RandomTensors(seed, SafetensorsDType.F16);
        List<StreamedTensor> out = new ArrayList<>();
        String lm = "language_model.model.";
        long kv = (long) s.kvHeads() * s.headDim();
        out.add(v.random(lm + "embed_tokens.weight", s.vocab(), s.hidden()));
        for (int i = 0; i < s.layers(); i++) {
            String p = lm + "layers." + i + ".";
            out.add(v.constant(p + "input_layernorm.weight", 1f, s.hidden()));
            out.add(v.random(p + "mlp.down_proj.weight", s.hidden(), s.intermediate()));
            out.add(v.random(p + "mlp.gate_proj.weight", s.intermediate(), s.hidden()));
            out.add(v.random(p + "mlp.up_proj.weight", s.intermediate(), s.hidden()));
            out.add(v.constant(p + "post_attention_layernorm.weight", 1f, s.hidden()));
            out.add(v.random(p + "self_attn.k_proj.weight", kv, s.hidden()));
            out.add(v.random(p + "self_attn.o_proj.weight", s.hidden(), s.hidden()));
            out.add(v.random(p + "self_attn.q_proj.weight", s.hidden(), s.hidden()));
            out.add(v.random(p + "self_attn.v_proj.weight", kv, s.hidden()));
        }
        out.add(v.constant(lm + "norm.weight", 1f, s.hidden()));
        out.add(v.random("language_model.lm_head.weight", s.vocab(), s.hidden()));
        out.add(v.random(PROJECTOR_PREFIX + "linear_1.weight", s.hidden(), s.visionHidden()));
        out.add(v.random(PROJECTOR_PREFIX + "linear_1.bias", s.hidden()));
        out.add(v.random(PROJECTOR_PREFIX + "linear_2.weight", s.hidden(), s.hidden()));
        out.add(v.random(PROJECTOR_PREFIX + "linear_2.bias", s.hidden()));
        out.addAll(tower(s));
        return out;
    }

    /** CLIP ViT's tensors under llava-hf's prefix, with transformers' spelling {@code pre_layrnorm}. */
    private static List<StreamedTensor> tower(LlavaShapes s) {
        RandomTensors v = new RandomTensors(TOWER_SEED, SafetensorsDType.F16);
        long e = s.visionHidden();
        String t = TOWER_PREFIX;
        List<StreamedTensor> out = new ArrayList<>();
        out.add(v.random(t + "embeddings.class_embedding", e));
        out.add(v.random(t + "embeddings.patch_embedding.weight", e, 3, s.patch(), s.patch()));
        out.add(v.random(t + "embeddings.position_embedding.weight", s.patches() + 1L, e));
        for (int i = 0; i < s.visionLayers(); i++) {
            String l = t + "encoder.layers." + i + ".";
            out.add(v.constant(l + "layer_norm1.weight", 1f, e));
            out.add(v.constant(l + "layer_norm1.bias", 0f, e));
            out.add(v.constant(l + "layer_norm2.weight", 1f, e));
            out.add(v.constant(l + "layer_norm2.bias", 0f, e));
            out.add(v.random(l + "mlp.fc1.weight", s.visionIntermediate(), e));
            out.add(v.random(l + "mlp.fc1.bias", s.visionIntermediate()));
            out.add(v.random(l + "mlp.fc2.weight", e, s.visionIntermediate()));
            out.add(v.random(l + "mlp.fc2.bias", e));
            for (String projection : List.of("k_proj", "out_proj", "q_proj", "v_proj")) {
                out.add(v.random(l + "self_attn." + projection + ".weight", e, e));
                out.add(v.random(l + "self_attn." + projection + ".bias", e));
            }
        }
        out.add(v.constant(t + "post_layernorm.weight", 1f, e));
        out.add(v.constant(t + "post_layernorm.bias", 0f, e));
        out.add(v.constant(t + "pre_layrnorm.weight", 1f, e));
        out.add(v.constant(t + "pre_layrnorm.bias", 0f, e));
        return out;
    }

    private static String pretty(ObjectNode node) {
        return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
