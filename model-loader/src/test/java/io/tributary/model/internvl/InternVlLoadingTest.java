package io.tributary.model.internvl;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.image.PixelValues;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Both key layouts, config variants, and loud failures naming the tensor and file. */
class InternVlLoadingTest {

    @TempDir
    Path dir;

    @Test
    void transformersLayoutGivesTheSameTokensAsTheOriginal() throws IOException {
        TinyInternVlSpec spec = TinyInternVlSpec.modelTester().withLayers(1);
        Path original = dir.resolve("original");
        Path hf = dir.resolve("hf");
        TinyInternVlVision.write(original, spec, InternVlLayout.ORIGINAL, 5, List.of(), null);
        TinyInternVlVision.write(hf, spec, InternVlLayout.TRANSFORMERS, 5, List.of(), null);
        List<PixelValues> tiles = List.of(InternVitParityTest.randomTile(9));
        try (InternVlVisionEncoder a = InternVlVisionEncoder.load(original, LoadOptions.cpu());
                InternVlVisionEncoder b = InternVlVisionEncoder.load(hf, LoadOptions.cpu())) {
            assertThat(b.config().layout()).isEqualTo(InternVlLayout.TRANSFORMERS);
            assertThat(b.config().tiling().maxTiles()).isEqualTo(12);
            float[] expected = a.encodeToFloats(tiles);
            float[] actual = b.encodeToFloats(tiles);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f));
            }
        }
    }

    @Test
    void quickGeluAndAnEarlierSelectLayerMatchTheReference() throws IOException {
        TinyInternVlSpec spec =
                TinyInternVlSpec.modelTester().withHiddenAct("quick_gelu").withLayers(3);
        TinyInternVlVision.write(dir, spec, InternVlLayout.ORIGINAL, 6, List.of(), null);
        var config = (tools.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json"));
        config.put("select_layer", -2);
        java.nio.file.Files.writeString(dir.resolve("config.json"), config.toString());
        PixelValues tile = InternVitParityTest.randomTile(10);
        double[][] expected = new ReferenceInternVl(dir).features(tile.data());
        try (InternVlVisionEncoder encoder = InternVlVisionEncoder.load(dir, LoadOptions.cpu())) {
            assertThat(encoder.config().layersToRun()).isEqualTo(2);
            float[] actual = encoder.encodeToFloats(List.of(tile));
            for (int i = 0; i < expected.length; i++) {
                for (int j = 0; j < expected[i].length; j++) {
                    assertThat((double) actual[i * expected[i].length + j]).isCloseTo(expected[i][j], within(1e-4));
                }
            }
        }
    }

    @Test
    void configDefaultsAreInternVit300mAnd256TokensPerTile() throws IOException {
        InternVlConfig config = InternVlConfig.fromJson(new ObjectMapper().readTree("""
                {"llm_config": {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 896},
                 "vision_config": {}, "ps_version": "v2", "template": "internvl2_5"}"""), null);
        InternVisionConfig v = config.vision();
        assertThat(List.of(v.hiddenSize(), v.numHiddenLayers(), v.numAttentionHeads(), v.patchSize(), v.imageSize()))
                .containsExactly(1024, 24, 16, 14, 448);
        assertThat(v.normType()).isEqualTo(InternVisionConfig.NormType.LAYER_NORM);
        assertThat(v.layerNormEps()).isEqualTo(1e-6);
        assertThat(v.qkvBias()).isTrue();
        assertThat(config.tokensPerTile()).isEqualTo(256);
        assertThat(config.llmHiddenSize()).isEqualTo(896);
        assertThat(config.llmArchitecture()).isEqualTo("Qwen2ForCausalLM");
        assertThat(config.pixelShuffleV2()).isTrue();
        assertThat(config.tiling().maxTiles()).isEqualTo(12);
        assertThat(config.tiling().useThumbnail()).isTrue();
    }

    @Test
    void unsupportedVariantsAreRefusedByName() {
        assertThatThrownBy(() -> InternVlConfig.fromJson(new ObjectMapper().readTree("""
                {"llm_config": {"hidden_size": 8}, "vision_config": {"qk_normalization": true}}"""), null))
                .hasMessageContaining("qk_normalization");
        assertThatThrownBy(() -> InternVlConfig.fromJson(new ObjectMapper().readTree("""
                {"llm_config": {"hidden_size": 8}, "vision_config": {}, "ps_version": "v3"}"""), null))
                .hasMessageContaining("ps_version 'v3'");
    }

    @Test
    void missingMisshapedAndUnexpectedTensorsAreNamedWithTheirFile() throws IOException {
        TinyInternVlSpec spec = TinyInternVlSpec.modelTester().withLayers(1);
        TinyInternVlVision.write(dir, spec, InternVlLayout.ORIGINAL, 1, List.of(), null);
        List<Tensor> tensors = new ArrayList<>(TinyInternVlVision.visionTensors(spec, InternVlLayout.ORIGINAL, 1));
        tensors.removeIf(t -> t.name().equals("vision_model.encoder.layers.0.ls2"));
        tensors.replaceAll(t -> t.name().equals("mlp1.1.bias")
                ? new Tensor(t.name(), SafetensorsDType.F32, new long[] {7}, new float[7])
                : t);
        tensors.add(
                new Tensor("vision_model.encoder.layers.1.ls1", SafetensorsDType.F32, new long[] {1}, new float[1]));
        tensors.add(new Tensor(
                "language_model.model.norm.weight",
                SafetensorsDType.F32,
                new long[] {1},
                new float[1])); // the decoder's: not the vision loader's business
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of());
        assertThatThrownBy(() -> InternVlVisionEncoder.load(dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor 'vision_model.encoder.layers.0.ls2' is missing")
                .hasMessageContaining("tensor 'mlp1.1.bias' in " + dir.resolve("model.safetensors")
                        + " has shape [7], expected [128]")
                .hasMessageContaining("unexpected tensor 'vision_model.encoder.layers.1.ls1'")
                .hasMessageNotContaining("language_model");
    }

    @Test
    void transformersNamesAreThoseOfConvertInternvlWeightsToHf() {
        InternVlLayout hf = InternVlLayout.TRANSFORMERS;
        String layer = "model.vision_tower.encoder.layer.3.";
        assertThat(List.of(
                        hf.layer(3, "attn.q.weight"),
                        hf.layer(3, "attn.k.bias"),
                        hf.layer(3, "attn.v.weight"),
                        hf.layer(3, "attn.proj.weight"),
                        hf.layer(3, "norm1.bias"),
                        hf.layer(3, "norm2.weight"),
                        hf.layer(3, "ls1"),
                        hf.layer(3, "ls2"),
                        hf.layer(3, "mlp.fc1.weight"),
                        hf.layer(3, "mlp.fc2.bias")))
                .containsExactly(
                        layer + "attention.q_proj.weight",
                        layer + "attention.k_proj.bias",
                        layer + "attention.v_proj.weight",
                        layer + "attention.projection_layer.weight",
                        layer + "layernorm_before.bias",
                        layer + "layernorm_after.weight",
                        layer + "lambda_1",
                        layer + "lambda_2",
                        layer + "mlp.fc1.weight",
                        layer + "mlp.fc2.bias");
        assertThat(List.of(
                        hf.classEmbedding(),
                        hf.positionEmbedding(),
                        hf.patchEmbedding("weight"),
                        hf.projector(0, "weight"),
                        hf.projector(1, "bias"),
                        hf.projector(3, "weight")))
                .containsExactly(
                        "model.vision_tower.embeddings.cls_token",
                        "model.vision_tower.embeddings.position_embeddings",
                        "model.vision_tower.embeddings.patch_embeddings.projection.weight",
                        "model.multi_modal_projector.layer_norm.weight",
                        "model.multi_modal_projector.linear_1.bias",
                        "model.multi_modal_projector.linear_2.weight");
        InternVlLayout original = InternVlLayout.ORIGINAL;
        assertThat(List.of(
                        original.layer(3, "attn.qkv.weight"),
                        original.layer(3, "ls1"),
                        original.classEmbedding(),
                        original.projector(3, "bias")))
                .containsExactly(
                        "vision_model.encoder.layers.3.attn.qkv.weight",
                        "vision_model.encoder.layers.3.ls1",
                        "vision_model.embeddings.class_embedding",
                        "mlp1.3.bias");
    }

    @Test
    void decoderTensorsAreRenamedIntoTheLayout() {
        assertThat(TinyInternVlVision.llmName("model.layers.0.mlp.up_proj.weight", InternVlLayout.ORIGINAL))
                .isEqualTo("language_model.model.layers.0.mlp.up_proj.weight");
        assertThat(TinyInternVlVision.llmName("model.norm.weight", InternVlLayout.TRANSFORMERS))
                .isEqualTo("model.language_model.norm.weight");
        assertThat(TinyInternVlVision.llmName("lm_head.weight", InternVlLayout.TRANSFORMERS))
                .isEqualTo("lm_head.weight");
    }
}
