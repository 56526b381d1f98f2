package io.tributary.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where and how an expert runs. Plain strings and enums so the server configures it without seeing DJL.
 *
 * @param device "cpu" or "cuda:N"
 */
public record LoadOptions(String device, Precision precision) {

    private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");

    public LoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        if (!DEVICE.matcher(device).matches()) {
            throw new IllegalArgumentException("device must be 'cpu' or 'cuda:N', got '" + device + "'");
        }
    }

    /** CPU, float32: the default. */
    public static LoadOptions cpu() {
        return new LoadOptions("cpu", Precision.FP32);
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
