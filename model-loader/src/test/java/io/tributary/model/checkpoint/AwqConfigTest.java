package io.tributary.model.checkpoint;

import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.llava.LlavaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AwqConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsTransformersAwqConfig() {
        AwqConfig config = AwqConfig.of(json("{'quantization_config': {'quant_method': 'awq', 'bits': 4,"
                        + " 'group_size': 128, 'zero_point': true, 'version': 'GEMM',"
                        + " 'modules_to_not_convert': ['vision_tower', 'multi_modal_projector']}}"))
                .orElseThrow();
        assertThat(config.groupSize()).isEqualTo(128);
        assertThat(config.converts("model.layers.3.mlp.up_proj")).isTrue();
        assertThat(config.converts("vision_tower.vision_model.encoder.layers.0.mlp.fc1"))
                .isFalse();
    }

    @Test
    void noQuantizationConfigIsAFloatCheckpoint() {
        assertThat(AwqConfig.of(json("{'hidden_size': 8}"))).isEmpty();
        assertThat(AwqConfig.of(json("{'quantization_config': null}"))).isEmpty();
    }

    /** transformers reads a multimodal model's quantization_config at the top of config.json. */
    @Test
    void multimodalConfigsAreReadAtTheTopThenInTheTextConfig() {
        JsonNode top = json("{'quantization_config': {'quant_method': 'awq', 'group_size': 64},"
                + " 'text_config': {'quantization_config': {'quant_method': 'awq', 'group_size': 32}}}");
        assertThat(AwqConfig.of(top, top.path("text_config")).orElseThrow().groupSize())
                .isEqualTo(64);
        JsonNode nested = json("{'text_config': {'quantization_config': {'quant_method': 'awq', 'group_size': 32}}}");
        assertThat(AwqConfig.of(nested, nested.path("text_config"))
                        .orElseThrow()
                        .groupSize())
                .isEqualTo(32);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "'quant_method': 'gptq', 'bits': 4 | quant_method 'gptq' is not supported",
                "'quant_method': 'awq', 'bits': 8 | AWQ with 8 bits is not supported",
                "'quant_method': 'awq', 'version': 'gemv' | AWQ version 'gemv' is not supported",
                "'quant_method': 'awq', 'version': 'marlin' | AWQ version 'marlin' is not supported",
                "'quant_method': 'awq', 'version': 'exllama' | AWQ version 'exllama' is not supported",
                "'quant_method': 'awq', 'backend': 'llm-awq' | AWQ backend 'llm-awq' is not supported",
                "'quant_method': 'awq', 'zero_point': false | zero_point false",
                "'quant_method': 'awq', 'group_size': 100 | group_size 100 is not supported",
                "'quant_method': 'awq', 'group_size': -1 | group_size -1 is not supported"
            })
    void refusesWhatWeCannotServe(String fields, String message) {
        assertThatThrownBy(() -> AwqConfig.of(json("{'quantization_config': {" + fields + "}}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void groupsMustTileEveryProjectionsInputs() {
        JsonNode config = json("{'model_type': 'qwen2', 'hidden_size': 128, 'intermediate_size': 320,"
                + " 'num_attention_heads': 4, 'num_key_value_heads': 2, 'num_hidden_layers': 1, 'vocab_size': 64,"
                + " 'quantization_config': {'quant_method': 'awq', 'group_size': 128}}");
        assertThatThrownBy(() -> LlamaConfig.fromJson(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AWQ group_size 128 does not divide the 320 input features of down_proj");
    }

    @Test
    void aLlavaDecoderTakesTheTopLevelQuantizationConfig() {
        LlavaConfig config = LlavaConfig.fromJson(json("{'model_type': 'llava', 'text_config': {'model_type': 'llama'},"
                + " 'quantization_config': {'quant_method': 'awq', 'group_size': 128,"
                + " 'modules_to_not_convert': ['vision_tower', 'multi_modal_projector']}}"));
        assertThat(config.text().awq().orElseThrow().groupSize()).isEqualTo(128);
    }

    @Test
    void aFloatConfigStaysFloat() {
        assertThat(LlamaConfig.fromJson(json("{'hidden_size': 64, 'num_attention_heads': 4}"))
                        .awq())
                .isEmpty();
        assertThat(new AwqConfig(32, List.of()).converts("model.layers.0.mlp.up_proj"))
                .isTrue();
    }

    private static JsonNode json(String singleQuoted) {
        return JSON.readTree(singleQuoted.replace('\'', '"'));
    }
}
