package io.tributary.model.llama;

import io.tributary.model.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlamaConfigTest {

    private static LlamaConfig parse(String json) {
        return LlamaConfig.fromJson(new ObjectMapper().readTree(json));
    }

    @Test
    void missingFieldsTakeTransformersDefaults() {
        LlamaConfig config = parse("{\"hidden_size\": 64, \"num_attention_heads\": 4}");
        assertThat(config.numKeyValueHeads())
                .as("kv heads default to attention heads")
                .isEqualTo(4);
        assertThat(config.headDim()).as("hidden / heads").isEqualTo(16);
        assertThat(config.rmsNormEps()).isEqualTo(1e-6);
        assertThat(config.ropeTheta()).isEqualTo(10000.0);
        assertThat(config.ropeScaling()).isEmpty();
        assertThat(config.tieWordEmbeddings()).isFalse();
        assertThat(config.hiddenAct()).isEqualTo("silu");
        assertThat(config.maxPositionEmbeddings()).isEqualTo(2048);
        assertThat(config.vocabSize()).isEqualTo(32000);
        assertThat(config.intermediateSize()).isEqualTo(11008);
        assertThat(config.numHiddenLayers()).isEqualTo(32);
        assertThat(config.bosTokenId()).hasValue(1);
        assertThat(config.eosTokenIds()).containsExactly(2);
    }

    @Test
    void readsExplicitFieldsIncludingEosListAndHeadDim() {
        LlamaConfig config = parse("""
                {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
                 "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": true,
                 "max_position_embeddings": 8192, "vocab_size": 128, "intermediate_size": 96,
                 "num_hidden_layers": 3, "bos_token_id": 7, "eos_token_id": [8, 9]}""");
        assertThat(config.numKeyValueHeads()).isEqualTo(2);
        assertThat(config.queriesPerKeyValueHead()).isEqualTo(2);
        assertThat(config.headDim()).isEqualTo(32);
        assertThat(config.rmsNormEps()).isEqualTo(1e-5);
        assertThat(config.ropeTheta()).isEqualTo(500000.0);
        assertThat(config.tieWordEmbeddings()).isTrue();
        assertThat(config.maxPositionEmbeddings()).isEqualTo(8192);
        assertThat(config.bosTokenId()).hasValue(7);
        assertThat(config.eosTokenIds()).containsExactly(8, 9);
    }

    @Test
    void nullKeyValueHeadsMeansMultiHeadAttention() {
        assertThat(parse("{\"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": null}")
                        .numKeyValueHeads())
                .isEqualTo(4);
    }

    @Test
    void unsupportedSettingsFailLoudly() {
        assertThatThrownBy(() -> parse("{\"hidden_act\": \"gelu\"}")).hasMessageContaining("gelu");
        assertThatThrownBy(() -> parse("{\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 2}}"))
                .hasMessageContaining("yarn");
        assertThatThrownBy(() -> parse("{\"num_attention_heads\": 8, \"num_key_value_heads\": 3}"))
                .hasMessageContaining("num_key_value_heads");
    }

    @Test
    void readFailureNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"hidden_act\": \"relu\"}");
        assertThatThrownBy(() -> LlamaConfig.read(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("relu");
        Files.writeString(file, "{not json");
        assertThatThrownBy(() -> LlamaConfig.read(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString());
    }
}
