package io.tributary.model;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.RawSafetensors;
import io.tributary.model.tiny.RawSafetensors.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AutoPrecisionTest {

    @Test
    void aFloat32CheckpointStaysFloat32Everywhere() {
        assertThat(AutoPrecision.choose(SafetensorsDType.F32, false, true)).isEqualTo(Precision.FP32);
        assertThat(AutoPrecision.choose(SafetensorsDType.F32, true, false)).isEqualTo(Precision.FP32);
    }

    @Test
    void aHalfCheckpointStaysHalfWhereTheDeviceComputesInHalf() {
        assertThat(AutoPrecision.choose(SafetensorsDType.BF16, false, true)).isEqualTo(Precision.BF16);
        assertThat(AutoPrecision.choose(SafetensorsDType.F16, false, true)).isEqualTo(Precision.BF16);
        assertThat(AutoPrecision.choose(SafetensorsDType.BF16, true, false)).isEqualTo(Precision.FP16);
        assertThat(AutoPrecision.choose(SafetensorsDType.F16, true, false)).isEqualTo(Precision.FP16);
    }

    @Test
    void aCpuWithoutBfloat16ArithmeticWidensHalfCheckpoints() {
        assertThat(AutoPrecision.choose(SafetensorsDType.BF16, false, false)).isEqualTo(Precision.FP32);
        assertThat(AutoPrecision.choose(SafetensorsDType.F16, false, false)).isEqualTo(Precision.FP32);
    }

    @Test
    void theStoredTypeIsTheFloatTypeHoldingMostBytes(@TempDir Path directory) throws IOException {
        // AWQ's int32-packed weights hold the most bytes; the float tensors say what the checkpoint computes in.
        RawSafetensors.write(
                directory.resolve("model.safetensors"),
                List.of(
                        new Entry("norm", SafetensorsDType.F32, new long[] {8}, RawSafetensors.floats(new float[8])),
                        new Entry("weight", SafetensorsDType.BF16, new long[] {8, 8}, new byte[128]),
                        new Entry(
                                "qweight",
                                SafetensorsDType.I32,
                                new long[] {8, 32},
                                RawSafetensors.int32s(new int[256]))));
        assertThat(AutoPrecision.storedType(directory)).isEqualTo(SafetensorsDType.BF16);
        LoadOptions resolved = AutoPrecision.resolve(LoadOptions.cpu().withPrecision(Precision.AUTO), directory);
        assertThat(resolved.precision()).isEqualTo(AutoPrecision.cpuHasBf16() ? Precision.BF16 : Precision.FP32);
        assertThat(AutoPrecision.resolve(LoadOptions.cpu(), directory).precision())
                .as("an explicit precision is kept")
                .isEqualTo(Precision.FP32);
    }
}
