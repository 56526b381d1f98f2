package io.tributary.model.checkpoint;

import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyLayoutTest {

    @Test
    void everySpellingMapsToTheCanonicalName() {
        KeyLayout legacy = KeyLayout.detect(Set.of("language_model.model.norm.weight", "vision_tower.x"));
        assertThat(legacy).isEqualTo(KeyLayout.LEGACY_MULTIMODAL);
        assertThat(legacy.canonical("language_model.model.layers.0.mlp.up_proj.weight"))
                .isEqualTo("model.layers.0.mlp.up_proj.weight");
        assertThat(legacy.canonical("language_model.lm_head.weight")).isEqualTo("lm_head.weight");
        assertThat(legacy.canonical("vision_tower.vision_model.pre_layrnorm.weight"))
                .isEqualTo("vision_tower.vision_model.pre_layrnorm.weight");
        assertThat(legacy.canonical("multi_modal_projector.linear_1.bias"))
                .isEqualTo("multi_modal_projector.linear_1.bias");

        KeyLayout nested = KeyLayout.detect(Set.of("model.language_model.norm.weight", "lm_head.weight"));
        assertThat(nested).isEqualTo(KeyLayout.NESTED_MULTIMODAL);
        assertThat(nested.canonical("model.language_model.layers.3.input_layernorm.weight"))
                .isEqualTo("model.layers.3.input_layernorm.weight");
        assertThat(nested.canonical("model.vision_tower.vision_model.post_layernorm.bias"))
                .isEqualTo("vision_tower.vision_model.post_layernorm.bias");
        assertThat(nested.canonical("model.multi_modal_projector.linear_2.weight"))
                .isEqualTo("multi_modal_projector.linear_2.weight");
        assertThat(nested.canonical("lm_head.weight")).isEqualTo("lm_head.weight");

        KeyLayout plain = KeyLayout.detect(Set.of("model.norm.weight", "lm_head.weight"));
        assertThat(plain).isEqualTo(KeyLayout.PLAIN);
        assertThat(plain.canonical("model.layers.0.self_attn.q_proj.weight"))
                .isEqualTo("model.layers.0.self_attn.q_proj.weight");
    }

    @Test
    void missingTensorsAreSpelledAsTheFileWouldSpellThem() {
        assertThat(KeyLayout.LEGACY_MULTIMODAL.spell("model.layers.1.mlp.up_proj.weight"))
                .isEqualTo("language_model.model.layers.1.mlp.up_proj.weight");
        assertThat(KeyLayout.LEGACY_MULTIMODAL.spell("lm_head.weight")).isEqualTo("language_model.lm_head.weight");
        assertThat(KeyLayout.NESTED_MULTIMODAL.spell("vision_tower.vision_model.pre_layrnorm.bias"))
                .isEqualTo("model.vision_tower.vision_model.pre_layrnorm.bias");
        assertThat(KeyLayout.NESTED_MULTIMODAL.spell("lm_head.weight")).isEqualTo("lm_head.weight");
        assertThat(KeyLayout.PLAIN.spell("model.norm.weight")).isEqualTo("model.norm.weight");
    }

    @Test
    void mixedLayoutsAndClashingKeysFailNamingTheKeysAndFile(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> KeyLayout.detect(
                        Set.of("language_model.model.norm.weight", "model.language_model.norm.weight")))
                .hasMessageContaining("mix");
        SafetensorsWriter.write(
                dir.resolve("model.safetensors"),
                List.of(tensor("language_model.model.norm.weight"), tensor("model.norm.weight")),
                Map.of());
        assertThatThrownBy(() -> CheckpointTensors.open(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'language_model.model.norm.weight'")
                .hasMessageContaining("'model.norm.weight'")
                .hasMessageContaining(dir.resolve("model.safetensors").toString());
    }

    private static Tensor tensor(String name) {
        return new Tensor(name, SafetensorsDType.F32, new long[] {2}, new float[2]);
    }
}
