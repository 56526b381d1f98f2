package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tributary.model.LoadOptions;
import io.tributary.model.Precision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Turns a model's linear weights, as loaded from the checkpoint, into the {@link Projection}s its load options ask
 * for, one weight at a time: a packed weight's source array is freed as soon as it is packed, so loading never holds
 * a second full copy of the model.
 */
public final class WeightPacker {

    private static final Logger LOG = LoggerFactory.getLogger(WeightPacker.class);

    /** Input features the int8 and int4 kernels read at once. */
    private static final int KERNEL_BLOCK = 32;

    /**
     * Packed weights of this many bytes or more are held in two halves, which the decoder's row split multiplies on
     * two threads at once. Measured here on a 0.5B decoder, single stream, tokens/s with one thread / halves on two:
     * bf16 9.0 / 18.7, int4 39 / 47, int8 29 / 28 (its kernel is not limited by memory alone); PyTorch's own second
     * intra-op thread gave bf16 15, int4 42 and int8 24, as it also splits every small op of the step. The threshold
     * is the row split's for dense weights.
     */
    private static final long SPLIT_BYTES = 2L << 20;
    /** Halves cut at a multiple of the int4 kernel's row packing, so neither half is padded. */
    private static final long SPLIT_ROW_MULTIPLE = 16;

    private static final WeightPacker DENSE = new WeightPacker(null, null, 0, null);

    private final PackedProjection.Format format; // null: dense
    private final Kernels kernels;
    private final int groupSize;
    private final NDManager owner;

    private WeightPacker(PackedProjection.Format format, Kernels kernels, int groupSize, NDManager owner) {
        this.format = format;
        this.kernels = kernels;
        this.groupSize = groupSize;
        this.owner = owner;
    }

    /** Weights kept as they are loaded: DJL arrays in the activations' type. */
    public static WeightPacker dense() {
        return DENSE;
    }

    /** The packer {@code options} ask for; packed weights belong to {@code owner}, the model's manager. */
    public static WeightPacker of(LoadOptions options, NDManager owner) {
        PackedProjection.Format format = switch (options.quantization()) {
            case INT8 -> PackedProjection.Format.INT8;
            case INT4 -> PackedProjection.Format.INT4;
            case NONE -> options.precision() == Precision.BF16 ? PackedProjection.Format.BF16 : null;
        };
        return format == null ? DENSE : new WeightPacker(format, Kernels.load(owner), options.groupSize(), owner);
    }

    /** The format weights are packed into; empty: they stay dense. */
    public Optional<PackedProjection.Format> format() {
        return Optional.ofNullable(format);
    }

    /** Whether weights stay dense. */
    public boolean isDense() {
        return format == null;
    }

    /**
     * {@code weight} [out, in] as a projection; a packed one closes {@code weight}, which it no longer needs. A weight
     * the format cannot hold stays as it is (see {@link #formatFor}).
     */
    public Projection pack(NDArray weight) {
        Projection projection = packShared(weight);
        if (!(projection instanceof DenseProjection)) {
            weight.close();
        }
        return projection;
    }

    /** As {@link #pack}, but {@code weight} stays: the output projection that shares the token embedding. */
    public Projection packShared(NDArray weight) {
        PackedProjection.Format chosen = formatFor(weight.getShape().get(1));
        if (chosen != format) {
            LOG.debug(
                    "a weight of {} input features is kept as {} instead of {}",
                    weight.getShape().get(1),
                    chosen == null ? "float" : chosen,
                    format);
        }
        if (chosen == null) {
            return new DenseProjection(weight);
        }
        long rows = weight.getShape().get(0);
        if (rows < 2 * SPLIT_ROW_MULTIPLE || rows * weight.getShape().get(1) * chosen.bits() / 8 < SPLIT_BYTES) {
            return PackedProjection.pack(kernels, chosen, weight, groupSize, owner);
        }
        long half = rows / 2 / SPLIT_ROW_MULTIPLE * SPLIT_ROW_MULTIPLE;
        try (NDArray top = weight.get("0:" + half);
                NDArray bottom = weight.get(half + ":")) {
            return new SplitProjection(
                    PackedProjection.pack(kernels, chosen, top, groupSize, owner),
                    PackedProjection.pack(kernels, chosen, bottom, groupSize, owner));
        }
    }

    /**
     * An int4 weight quantised elsewhere (see {@link PackedProjection#fromInt4}), held in halves when large as
     * {@link #pack} holds its own.
     */
    public static Projection quantizedInt4(
            Kernels kernels, NDArray q, NDArray scales, NDArray zeroPoints, int group, NDManager owner) {
        long rows = q.getShape().get(0);
        if (rows < 2 * SPLIT_ROW_MULTIPLE || rows * q.getShape().get(1) / 2 < SPLIT_BYTES) {
            return PackedProjection.fromInt4(kernels, q, scales, zeroPoints, group, owner);
        }
        long half = rows / 2 / SPLIT_ROW_MULTIPLE * SPLIT_ROW_MULTIPLE;
        try (NDArray top = q.get("0:" + half);
                NDArray bottom = q.get(half + ":");
                NDArray topScales = scales.get(":, 0:" + half);
                NDArray bottomScales = scales.get(":, " + half + ":");
                NDArray topZeros = zeroPoints.get(":, 0:" + half);
                NDArray bottomZeros = zeroPoints.get(":, " + half + ":")) {
            return new SplitProjection(
                    PackedProjection.fromInt4(kernels, top, topScales, topZeros, group, owner),
                    PackedProjection.fromInt4(kernels, bottom, bottomScales, bottomZeros, group, owner));
        }
    }

    /**
     * The format for a weight of {@code inFeatures} columns, {@code null} for dense. ATen's int8 and int4 kernels read
     * the input features in blocks of 32 (with 37 the int8 kernel reads past the end of its operands), and int4 in
     * whole groups: an int4 weight whose width the group does not divide goes to int8, and one that 32 does not
     * divide stays dense. Only tiny test models have such widths.
     */
    PackedProjection.Format formatFor(long inFeatures) {
        if (format == null || format == PackedProjection.Format.BF16) {
            return format;
        }
        if (inFeatures % KERNEL_BLOCK != 0) {
            return null;
        }
        return format == PackedProjection.Format.INT4 && inFeatures % groupSize != 0
                ? PackedProjection.Format.INT8
                : format;
    }

    @Override
    public String toString() {
        return format == null
                ? "dense"
                : format == PackedProjection.Format.INT4
                        ? "int4 (groups of " + groupSize + ")"
                        : format.name().toLowerCase(java.util.Locale.ROOT);
    }
}
