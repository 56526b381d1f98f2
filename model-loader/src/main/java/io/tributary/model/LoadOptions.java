package io.tributary.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where and how an expert runs. Plain strings and enums so the server configures it without seeing DJL.
 *
 * @param device        "cpu" or "cuda:N"
 * @param precision     the weights' and activations' type
 * @param weightLoading whether weights stored in that type are mapped from the file or read into owned memory
 */
public record LoadOptions(String device, Precision precision, WeightLoading weightLoading) {

    private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");

    public LoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(weightLoading, "weightLoading");
        if (!DEVICE.matcher(device).matches()) {
            throw new IllegalArgumentException("device must be 'cpu' or 'cuda:N', got '" + device + "'");
        }
    }

    /** CPU, float32, weights mapped: the defaults. */
    public static LoadOptions cpu() {
        return new LoadOptions("cpu", Precision.FP32, WeightLoading.MMAP);
    }

    public LoadOptions withWeightLoading(WeightLoading loading) {
        return new LoadOptions(device, precision, loading);
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
