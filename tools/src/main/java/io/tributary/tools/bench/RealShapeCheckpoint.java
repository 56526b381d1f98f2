package io.tributary.tools.bench;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.StreamedTensor;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.tributary.tools.bench.InternVl2_5OneB.HEAD_DIM;
import static io.tributary.tools.bench.InternVl2_5OneB.HIDDEN;
import static io.tributary.tools.bench.InternVl2_5OneB.IMAGE;
import static io.tributary.tools.bench.InternVl2_5OneB.INTERMEDIATE;
import static io.tributary.tools.bench.InternVl2_5OneB.KV_HEADS;
import static io.tributary.tools.bench.InternVl2_5OneB.LAYERS;
import static io.tributary.tools.bench.InternVl2_5OneB.PATCH;
import static io.tributary.tools.bench.InternVl2_5OneB.SHUFFLED;
import static io.tributary.tools.bench.InternVl2_5OneB.VISION_HIDDEN;
import static io.tributary.tools.bench.InternVl2_5OneB.VISION_INTERMEDIATE;
import static io.tributary.tools.bench.InternVl2_5OneB.VISION_LAYERS;
import static io.tributary.tools.bench.InternVl2_5OneB.VOCAB;

/**
 * A randomly initialised InternVL2.5-1B checkpoint in OpenGVLab's original layout ({@code vision_model.*},
 * {@code mlp1.*}, {@code language_model.model.*}, {@code language_model.lm_head.weight}), float32, sharded like
 * the Hub's ({@code model-0000N-of-0000M.safetensors} of at most 2 GB plus {@code model.safetensors.index.json}).
 *
 * <p>Values are a counter-based hash of (seed, tensor name, index), so the bytes depend only on the seed and are
 * produced while writing: 3.7 GB go to disk without ever being in the heap. Scales follow the real initialisation
 * (uniform with transformers' std 0.02, norms 1, InternViT's layer scales 0.1), which keeps every activation finite
 * and far from denormals; the values are meaningless, the shapes and the work are real.
 */
final class RealShapeCheckpoint {

    /** Written last: a directory holding it holds a complete checkpoint of this generator version. */
    static final String COMPLETE_MARKER = "benchmark-checkpoint.complete";

    static final long MAX_SHARD_BYTES = 2_000_000_000L;
    private static final String VERSION = "internvl2_5-1b-random-v1";

    private RealShapeCheckpoint() {}

    /** True if {@code directory} already holds this checkpoint for {@code seed}. */
    static boolean isComplete(Path directory, long seed) throws IOException {
        Path marker = directory.resolve(COMPLETE_MARKER);
        return Files.isRegularFile(marker) && Files.readString(marker).strip().equals(VERSION + " seed " + seed);
    }

    static void write(Path directory, long seed) throws IOException {
        Files.createDirectories(directory);
        Files.deleteIfExists(directory.resolve(COMPLETE_MARKER));
        ObjectMapper json = new ObjectMapper();
        Files.writeString(
                directory.resolve("config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(InternVl2_5OneB.config()) + "\n");
        SafetensorsWriter.writeShardedStreamed(directory, tensors(seed), Map.of("format", "pt"), MAX_SHARD_BYTES);
        Files.writeString(directory.resolve(COMPLETE_MARKER), VERSION + " seed " + seed + "\n");
    }

    /** Total bytes of the safetensors shards in {@code directory}. */
    static long weightBytes(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors"))
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .sum();
        }
    }

    static List<StreamedTensor> tensors(long seed) {
        RandomTensors v = new RandomTensors(seed, SafetensorsDType.F32);
        List<StreamedTensor> out = new ArrayList<>();
        int grid = IMAGE / PATCH;
        long h = VISION_HIDDEN;
        String vm = "vision_model.";
        out.add(v.random(vm + "embeddings.class_embedding", 1, 1, h));
        out.add(v.random(vm + "embeddings.patch_embedding.weight", h, 3, PATCH, PATCH));
        out.add(v.random(vm + "embeddings.patch_embedding.bias", h));
        out.add(v.random(vm + "embeddings.position_embedding", 1, (long) grid * grid + 1, h));
        for (int i = 0; i < VISION_LAYERS; i++) {
            String p = vm + "encoder.layers." + i + ".";
            out.add(v.constant(p + "ls1", 0.1f, h));
            out.add(v.constant(p + "ls2", 0.1f, h));
            out.add(v.random(p + "attn.qkv.weight", 3 * h, h));
            out.add(v.random(p + "attn.qkv.bias", 3 * h));
            out.add(v.random(p + "attn.proj.weight", h, h));
            out.add(v.random(p + "attn.proj.bias", h));
            out.add(v.random(p + "mlp.fc1.weight", VISION_INTERMEDIATE, h));
            out.add(v.random(p + "mlp.fc1.bias", VISION_INTERMEDIATE));
            out.add(v.random(p + "mlp.fc2.weight", h, VISION_INTERMEDIATE));
            out.add(v.random(p + "mlp.fc2.bias", h));
            out.add(v.constant(p + "norm1.weight", 1f, h));
            out.add(v.constant(p + "norm1.bias", 0f, h));
            out.add(v.constant(p + "norm2.weight", 1f, h));
            out.add(v.constant(p + "norm2.bias", 0f, h));
        }
        out.add(v.constant("mlp1.0.weight", 1f, SHUFFLED));
        out.add(v.constant("mlp1.0.bias", 0f, SHUFFLED));
        out.add(v.random("mlp1.1.weight", HIDDEN, SHUFFLED));
        out.add(v.random("mlp1.1.bias", HIDDEN));
        out.add(v.random("mlp1.3.weight", HIDDEN, HIDDEN));
        out.add(v.random("mlp1.3.bias", HIDDEN));
        String lm = "language_model.model.";
        long kv = (long) KV_HEADS * HEAD_DIM;
        out.add(v.random(lm + "embed_tokens.weight", VOCAB, HIDDEN));
        for (int i = 0; i < LAYERS; i++) {
            String p = lm + "layers." + i + ".";
            out.add(v.constant(p + "input_layernorm.weight", 1f, HIDDEN));
            out.add(v.random(p + "self_attn.q_proj.weight", HIDDEN, HIDDEN));
            out.add(v.random(p + "self_attn.q_proj.bias", HIDDEN));
            out.add(v.random(p + "self_attn.k_proj.weight", kv, HIDDEN));
            out.add(v.random(p + "self_attn.k_proj.bias", kv));
            out.add(v.random(p + "self_attn.v_proj.weight", kv, HIDDEN));
            out.add(v.random(p + "self_attn.v_proj.bias", kv));
            out.add(v.random(p + "self_attn.o_proj.weight", HIDDEN, HIDDEN));
            out.add(v.constant(p + "post_attention_layernorm.weight", 1f, HIDDEN));
            out.add(v.random(p + "mlp.gate_proj.weight", INTERMEDIATE, HIDDEN));
            out.add(v.random(p + "mlp.up_proj.weight", INTERMEDIATE, HIDDEN));
            out.add(v.random(p + "mlp.down_proj.weight", HIDDEN, INTERMEDIATE));
        }
        out.add(v.constant(lm + "norm.weight", 1f, HIDDEN));
        out.add(v.random("language_model.lm_head.weight", VOCAB, HIDDEN));
        return out;
    }
}
