package io.tributary.model.decoder;

import io.tributary.model.llama.LlamaConfig;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RotaryEmbeddingTest {

    @Test
    void llama3RopeScalingSlowsOnlyLongWavelengths() {
        LlamaConfig config = parse("""
                {"hidden_size": 256, "num_attention_heads": 2, "rope_theta": 500000.0,
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}""");
        float[] scaled = RotaryEmbedding.inverseFrequencies(config);
        assertThat(scaled[0]).as("highest frequency untouched").isEqualTo(1f);
        double plain = 1 / Math.pow(500000.0, (double) (2 * 63) / 128);
        assertThat((double) scaled[63]).as("lowest frequency divided by factor").isCloseTo(plain / 8, within(1e-12));
    }

    private static LlamaConfig parse(String json) {
        return LlamaConfig.fromJson(new ObjectMapper().readTree(json));
    }
}
