package io.tributary.model;

import io.tributary.model.kernel.Kernels;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where and how an expert runs. Plain strings and enums so the server configures it without seeing DJL.
 *
 * @param device        "cpu" or "cuda:N"
 * @param precision     the weights' and activations' type
 * @param weightLoading whether weights stored in that type are mapped from the file or read into owned memory
 * @param quantization  whether the decoder's linear layers are rounded to 8 or 4 bits at load
 * @param groupSize     input features per int4 scale
 */
public record LoadOptions(
        String device, Precision precision, WeightLoading weightLoading, Quantization quantization, int groupSize) {

    /** The int4 group size llama.cpp's Q4_0 uses. */
    public static final int DEFAULT_GROUP_SIZE = 32;

    private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");

    public LoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(weightLoading, "weightLoading");
        Objects.requireNonNull(quantization, "quantization");
        if (!DEVICE.matcher(device).matches()) {
            throw new IllegalArgumentException("device must be 'cpu' or 'cuda:N', got '" + device + "'");
        }
        if (quantization != Quantization.NONE && precision == Precision.FP16) {
            throw new IllegalArgumentException("int8 and int4 weights take float32 activations: use them with "
                    + "precision fp32 or bf16, not fp16");
        }
        if (quantization != Quantization.NONE && device.startsWith("cuda:")) {
            throw new IllegalArgumentException("int8 and int4 weights run on the CPU only (ATen's weight-only "
                    + "kernels for CPUs); on a GPU use precision fp16 or bf16");
        }
        if (quantization == Quantization.INT4 && !Kernels.isInt4GroupSize(groupSize)) {
            throw new IllegalArgumentException("the int4 group size must be 32, 64, 128 or 256, got " + groupSize);
        }
    }

    /** Unquantised weights. */
    public LoadOptions(String device, Precision precision, WeightLoading weightLoading) {
        this(device, precision, weightLoading, Quantization.NONE, DEFAULT_GROUP_SIZE);
    }

    /** CPU, float32, weights mapped: the defaults. */
    public static LoadOptions cpu() {
        return new LoadOptions("cpu", Precision.FP32, WeightLoading.MMAP);
    }

    public LoadOptions withWeightLoading(WeightLoading loading) {
        return new LoadOptions(device, precision, loading, quantization, groupSize);
    }

    public LoadOptions withPrecision(Precision newPrecision) {
        return new LoadOptions(device, newPrecision, weightLoading, quantization, groupSize);
    }

    public LoadOptions withQuantization(Quantization newQuantization, int newGroupSize) {
        return new LoadOptions(device, precision, weightLoading, newQuantization, newGroupSize);
    }

    public boolean isGpu() {
        return device.startsWith("cuda:");
    }

    public int gpuIndex() {
        if (!isGpu()) {
            throw new IllegalStateException("not a GPU device: " + device);
        }
        return Integer.parseInt(device.substring("cuda:".length()));
    }
}
