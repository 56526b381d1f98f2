package io.tributary.model.internvl;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes tiny InternVL checkpoints in the real Hugging Face layouts: the vision encoder and projector tensors with
 * deterministic "sharp" weights (unit-scale activations, norm weights far from 1, non-zero biases, layer scales near
 * 1 instead of 0.1) so that a bug anywhere changes the output well above 1e-4, plus {@code config.json}.
 *
 * <p>The decoder is not written here. Its hook: pass the decoder's tensors under their {@code Qwen2ForCausalLM}
 * names ({@code model.layers.0...}, {@code lm_head.weight}) and its config object; they are renamed into the
 * layout ({@code language_model.model.*} and {@code llm_config} for the original, {@code model.language_model.*}
 * and {@code text_config} for transformers) and written in the same file.
 */
public final class TinyInternVlVision {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyInternVlVision() {}

    /**
     * @param llmTensors decoder tensors under Qwen2ForCausalLM names (may be empty)
     * @param llmConfig  the decoder's config.json object, or null for a stub naming only hidden_size
     */
    public static void write(
            Path directory,
            TinyInternVlSpec spec,
            InternVlLayout layout,
            long seed,
            List<Tensor> llmTensors,
            JsonNode llmConfig)
            throws IOException {
        Files.createDirectories(directory);
        List<Tensor> tensors = new ArrayList<>(visionTensors(spec, layout, seed));
        for (Tensor t : llmTensors) {
            tensors.add(new Tensor(llmName(t.name(), layout), t.dtype(), t.shape(), t.values()));
        }
        SafetensorsWriter.write(directory.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        JsonNode llm = llmConfig != null
                ? llmConfig
                : JSON.createObjectNode()
                        .put("model_type", "qwen2")
                        .put("hidden_size", spec.llmHiddenSize())
                        .set("architectures", JSON.createArrayNode().add("Qwen2ForCausalLM"));
        Files.writeString(
                directory.resolve("config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config(spec, layout, llm)) + "\n");
        if (layout != InternVlLayout.ORIGINAL) {
            Files.writeString(
                    directory.resolve("preprocessor_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(preprocessorConfig(spec)) + "\n");
        }
    }

    static String llmName(String qwen2Name, InternVlLayout layout) {
        return switch (layout) {
            case ORIGINAL -> "language_model." + qwen2Name;
            case TRANSFORMERS ->
                qwen2Name.startsWith("model.")
                        ? "model.language_model." + qwen2Name.substring("model.".length())
                        : qwen2Name;
            case TRANSFORMERS_LEGACY -> "language_model." + qwen2Name;
        };
    }

    /** The vision and projector tensors; the same values in every layout (for the same seed). */
    public static List<Tensor> visionTensors(TinyInternVlSpec s, InternVlLayout layout, long seed) {
        Random r = new Random(seed);
        int h = s.hiddenSize();
        int p = s.patchSize();
        int grid = s.imageSize() / p;
        int shuffled = 4 * h;
        int llm = s.llmHiddenSize();
        List<Tensor> out = new ArrayList<>();
        out.add(gaussian(r, layout.classEmbedding(), 1.0, 1, 1, h));
        out.add(gaussian(r, layout.patchEmbedding("weight"), 2.0 / Math.sqrt(3.0 * p * p), h, 3, p, p));
        out.add(gaussian(r, layout.patchEmbedding("bias"), 0.5, h));
        out.add(gaussian(r, layout.positionEmbedding(), 1.0, 1, grid * grid + 1, h));
        for (int i = 0; i < s.layers(); i++) {
            out.add(normWeight(r, layout.layer(i, "norm1.weight"), h));
            out.add(gaussian(r, layout.layer(i, "norm1.bias"), 0.2, h));
            Tensor qkv = gaussian(r, "qkv", 2.0 / Math.sqrt(h), 3 * h, h);
            Tensor qkvBias = gaussian(r, "qkv.bias", 0.5, 3 * h);
            if (layout.fusedQkv()) {
                out.add(renamed(qkv, layout.layer(i, "attn.qkv.weight")));
                out.add(renamed(qkvBias, layout.layer(i, "attn.qkv.bias")));
            } else {
                String[] names = {"q", "k", "v"};
                for (int part = 0; part < 3; part++) {
                    out.add(slice(qkv, part, h * h, layout.layer(i, "attn." + names[part] + ".weight"), h, h));
                    out.add(slice(qkvBias, part, h, layout.layer(i, "attn." + names[part] + ".bias"), h));
                }
            }
            out.add(gaussian(r, layout.layer(i, "attn.proj.weight"), 1.0 / Math.sqrt(h), h, h));
            out.add(gaussian(r, layout.layer(i, "attn.proj.bias"), 0.2, h));
            out.add(normWeight(r, layout.layer(i, "ls1"), h));
            out.add(normWeight(r, layout.layer(i, "norm2.weight"), h));
            out.add(gaussian(r, layout.layer(i, "norm2.bias"), 0.2, h));
            out.add(gaussian(r, layout.layer(i, "mlp.fc1.weight"), 2.0 / Math.sqrt(h), s.intermediateSize(), h));
            out.add(gaussian(r, layout.layer(i, "mlp.fc1.bias"), 0.5, s.intermediateSize()));
            out.add(gaussian(
                    r,
                    layout.layer(i, "mlp.fc2.weight"),
                    1.0 / Math.sqrt(s.intermediateSize()),
                    h,
                    s.intermediateSize()));
            out.add(gaussian(r, layout.layer(i, "mlp.fc2.bias"), 0.2, h));
            out.add(normWeight(r, layout.layer(i, "ls2"), h));
        }
        out.add(normWeight(r, layout.projector(0, "weight"), shuffled));
        out.add(gaussian(r, layout.projector(0, "bias"), 0.2, shuffled));
        out.add(gaussian(r, layout.projector(1, "weight"), 2.0 / Math.sqrt(shuffled), llm, shuffled));
        out.add(gaussian(r, layout.projector(1, "bias"), 0.5, llm));
        out.add(gaussian(r, layout.projector(3, "weight"), 1.0 / Math.sqrt(llm), llm, llm));
        out.add(gaussian(r, layout.projector(3, "bias"), 0.2, llm));
        return out;
    }

    static ObjectNode config(TinyInternVlSpec s, InternVlLayout layout, JsonNode llmConfig) {
        ObjectNode c = JSON.createObjectNode();
        ObjectNode vision = JSON.createObjectNode()
                .put("hidden_size", s.hiddenSize())
                .put("intermediate_size", s.intermediateSize())
                .put("num_hidden_layers", s.layers())
                .put("num_attention_heads", s.heads())
                .put("num_channels", 3)
                .put("norm_type", "layer_norm")
                .put("layer_norm_eps", 1e-6)
                .put("hidden_act", s.hiddenAct());
        if (layout == InternVlLayout.ORIGINAL) {
            c.set("architectures", JSON.createArrayNode().add("InternVLChatModel"));
            c.put("model_type", "internvl_chat")
                    .put("downsample_ratio", 0.5)
                    .put("dynamic_image_size", true)
                    .put("force_image_size", s.imageSize())
                    .put("max_dynamic_patch", 12)
                    .put("min_dynamic_patch", 1)
                    .put("ps_version", "v2")
                    .put("select_layer", -1)
                    .put("template", "internvl2_5")
                    .put("use_thumbnail", true)
                    .put("pad2square", false)
                    .put("use_backbone_lora", 0)
                    .put("use_llm_lora", 0)
                    .put("torch_dtype", "float32");
            vision.set("architectures", JSON.createArrayNode().add("InternVisionModel"));
            vision.put("model_type", "intern_vit_6b")
                    .put("image_size", s.imageSize())
                    .put("patch_size", s.patchSize())
                    .put("qkv_bias", true)
                    .put("qk_normalization", false)
                    .put("drop_path_rate", 0.0)
                    .put("dropout", 0.0)
                    .put("attention_dropout", 0.0)
                    .put("initializer_factor", 0.1)
                    .put("use_flash_attn", false);
            c.set("vision_config", vision);
            c.set("llm_config", llmConfig);
        } else {
            c.set("architectures", JSON.createArrayNode().add("InternVLForConditionalGeneration"));
            int grid = s.imageSize() / s.patchSize();
            c.put("model_type", "internvl")
                    .put("downsample_ratio", 0.5)
                    .put("image_seq_length", grid * grid / 4)
                    .put("projector_hidden_act", "gelu")
                    .put("vision_feature_layer", -1)
                    .put("vision_feature_select_strategy", "default");
            vision.put("model_type", "internvl_vision")
                    .put("attention_bias", true)
                    .put("use_qk_norm", false)
                    .put("use_absolute_position_embeddings", true)
                    .put("use_mean_pooling", true)
                    .put("layer_scale_init_value", 0.1);
            vision.set("image_size", JSON.createArrayNode().add(s.imageSize()).add(s.imageSize()));
            vision.set("patch_size", JSON.createArrayNode().add(s.patchSize()).add(s.patchSize()));
            c.set("vision_config", vision);
            c.set("text_config", llmConfig);
        }
        return c;
    }

    static ObjectNode preprocessorConfig(TinyInternVlSpec s) {
        ObjectNode p = JSON.createObjectNode()
                .put("image_processor_type", "GotOcr2ImageProcessor")
                .put("crop_to_patches", true)
                .put("min_patches", 1)
                .put("max_patches", 12)
                .put("do_rescale", true)
                .put("rescale_factor", 1 / 255.0)
                .put("do_normalize", true)
                .put("resample", 3);
        p.set("size", JSON.createObjectNode().put("height", s.imageSize()).put("width", s.imageSize()));
        p.set("image_mean", JSON.createArrayNode().add(0.485).add(0.456).add(0.406));
        p.set("image_std", JSON.createArrayNode().add(0.229).add(0.224).add(0.225));
        return p;
    }

    private static Tensor gaussian(Random r, String name, double std, long... shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextGaussian() * std);
        }
        return new Tensor(name, SafetensorsDType.F32, shape, values);
    }

    /** Norm weights and layer scales in [0.5, 1.5): far from both 1 (a missed weight shows) and 0.1. */
    private static Tensor normWeight(Random r, String name, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = 0.5f + r.nextFloat();
        }
        return new Tensor(name, SafetensorsDType.F32, new long[] {size}, values);
    }

    private static Tensor renamed(Tensor t, String name) {
        return new Tensor(name, t.dtype(), t.shape(), t.values());
    }

    private static Tensor slice(Tensor t, int part, int length, String name, long... shape) {
        float[] values = new float[length];
        System.arraycopy(t.values(), part * length, values, 0, length);
        return new Tensor(name, t.dtype(), shape, values);
    }
}
