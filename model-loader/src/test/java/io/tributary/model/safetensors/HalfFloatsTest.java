package io.tributary.model.safetensors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatsTest {

    @Test
    void float16KnownEncodings() {
        assertThat(HalfFloats.toF16(1f)).isEqualTo((short) 0x3C00);
        assertThat(HalfFloats.toF16(-2f)).isEqualTo((short) 0xC000);
        assertThat(HalfFloats.toF16(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(HalfFloats.toF16(65520f)).as("rounds up to infinity").isEqualTo((short) 0x7C00);
        assertThat(HalfFloats.toF16(0x1p-24f)).as("smallest subnormal").isEqualTo((short) 0x0001);
        assertThat(HalfFloats.toF16(0x1p-25f)).as("tie rounds to even zero").isEqualTo((short) 0x0000);
        assertThat(HalfFloats.toF16(1f + 0x1p-11f)).as("tie rounds to even").isEqualTo((short) 0x3C00);
        assertThat(HalfFloats.toF16(1f + 0x1p-11f + 0x1p-20f))
                .as("above tie rounds up")
                .isEqualTo((short) 0x3C01);
        assertThat(Float.isNaN(HalfFloats.fromF16(HalfFloats.toF16(Float.NaN)))).isTrue();
    }

    @Test
    void float16RoundTripsEveryFiniteHalf() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float value = HalfFloats.fromF16(half);
            if (!Float.isNaN(value)) {
                assertThat(HalfFloats.toF16(value)).as("half 0x%04x", bits).isEqualTo(half);
            }
        }
    }

    @Test
    void bfloat16KeepsTopBitsWithRoundToNearestEven() {
        assertThat(HalfFloats.toBf16(1f)).isEqualTo((short) 0x3F80);
        assertThat(HalfFloats.fromBf16((short) 0x3F80)).isEqualTo(1f);
        assertThat(HalfFloats.toBf16(1f + 0x1p-8f)).as("tie to even").isEqualTo((short) 0x3F80);
        assertThat(HalfFloats.toBf16(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(HalfFloats.fromBf16(HalfFloats.toBf16(-3.140625f))).isEqualTo(-3.140625f);
    }
}
