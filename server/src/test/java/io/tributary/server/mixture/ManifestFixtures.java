package io.tributary.server.mixture;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlavaSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Directories that look like checkpoints to every check that reads no weights (a config, a tokenizer file, an
 * empty {@code model.safetensors}), and small router artefacts of chosen shapes: enough to exercise the manifest
 * checks without a native library. Loading any of these experts would fail, which is the point: the checks must
 * run, and fail, before loading starts.
 */
final class ManifestFixtures {

    private ManifestFixtures() {}

    static void write(Path dir) throws IOException {
        checkpoint(dir.resolve("a"), "LlamaForCausalLM", "{\"model\": \"shared\"}");
        checkpoint(dir.resolve("b"), "LlamaForCausalLM", "{\"model\": \"shared\"}");
        checkpoint(dir.resolve("other-tokenizer"), "LlamaForCausalLM", "{\"model\": \"other\"}");
        checkpoint(dir.resolve("llava"), "LlavaForConditionalGeneration", "{\"model\": \"shared\"}");
        checkpoint(dir.resolve("gpt2"), "GPT2LMHeadModel", "{\"model\": \"shared\"}");
        checkpoint(dir.resolve("no-tokenizer"), "LlamaForCausalLM", null);
        Files.createDirectories(dir.resolve("no-config"));
        Path noWeights = Files.createDirectories(dir.resolve("no-weights"));
        Files.writeString(noWeights.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        Files.writeString(noWeights.resolve("tokenizer.json"), "{\"model\": \"shared\"}");
        Files.writeString(dir.resolve("not-a-directory"), "text");
        Files.createDirectories(dir.resolve("empty-dir"));

        clusters(dir.resolve("clusters-2x4.safetensors"), 2, 4, 4);
        clusters(dir.resolve("clusters-3x4.safetensors"), 3, 4, 4);
        clusters(dir.resolve("clusters-mean-5.safetensors"), 2, 4, 5);
        SafetensorsWriter.write(
                dir.resolve("centers.safetensors"),
                List.of(new Tensor("centers", SafetensorsDType.F32, new long[] {2, 4}, new float[8])),
                Map.of());
        Files.write(dir.resolve("garbage.safetensors"), new byte[] {1, 2, 3});
        classifier(dir.resolve("classifier-2x8.safetensors"), 2, 8);
        classifier(dir.resolve("classifier-3x4.safetensors"), 3, 4);
        TinyClip.write(dir.resolve("clip"), TinyLlavaSpec.forTests(), 1, false);
    }

    private static void checkpoint(Path directory, String architecture, String tokenizer) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(
                directory.resolve("config.json"),
                "{\"architectures\": [\"" + architecture + "\"], " + "\"eos_token_id\": 2}");
        if (tokenizer != null) {
            Files.writeString(directory.resolve("tokenizer.json"), tokenizer);
        }
        Files.write(directory.resolve("model.safetensors"), new byte[0]);
    }

    private static void clusters(Path file, int k, int d, int meanDimension) throws IOException {
        float[] centroids = new float[k * d];
        for (int i = 0; i < centroids.length; i++) {
            centroids[i] = i % (d + 1) == 0 ? 1 : 0;
        }
        SafetensorsWriter.write(
                file,
                List.of(
                        new Tensor("centroids", SafetensorsDType.F32, new long[] {k, d}, centroids),
                        new Tensor(
                                "global_mean",
                                SafetensorsDType.F32,
                                new long[] {meanDimension},
                                new float[meanDimension])),
                Map.of());
    }

    private static void classifier(Path file, int outputs, int inputs) throws IOException {
        SafetensorsWriter.write(
                file,
                List.of(
                        new Tensor(
                                "layers.0.weight",
                                SafetensorsDType.F32,
                                new long[] {outputs, inputs},
                                new float[outputs * inputs]),
                        new Tensor("layers.0.bias", SafetensorsDType.F32, new long[] {outputs}, new float[outputs])),
                Map.of());
    }
}
