package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;

import java.util.UUID;

/**
 * A weight in fewer bytes, multiplied by ATen's kernels through {@link Kernels}: bf16; int8 with one symmetric scale
 * per output row (the layout {@code _weight_int8pack_mm} takes); or int4 in groups of input features, each group's
 * scale set so that its value of largest magnitude is −8 steps (llama.cpp's Q4_0 rule), packed by
 * {@code _convert_weight_to_int4pack_for_cpu}. Scales are bf16. The packed tensors are {@link IValue}s owned by this
 * object, which its model's manager closes.
 */
public final class PackedProjection implements Projection, AutoCloseable {

    /** The reduced-precision layouts. */
    public enum Format {
        BF16(16),
        INT8(8),
        INT4(4);

        private final int bits;

        Format(int bits) {
            this.bits = bits;
        }

        /** Bits a weight element takes, scales left out. */
        public int bits() {
            return bits;
        }
    }

    private final Kernels kernels;
    private final Format format;
    private final IValue[] parts; // BF16: weight; INT8: weight, scales; INT4: packed, group, scales and zeros, rows
    private final long out;
    private final long in;
    private final long bytes;

    private PackedProjection(Kernels kernels, Format format, IValue[] parts, long out, long in, long bytes) {
        this.kernels = kernels;
        this.format = format;
        this.parts = parts;
        this.out = out;
        this.in = in;
        this.bytes = bytes;
    }

    /**
     * Packs {@code weight} [out, in] (any float type) into {@code format}; the result is closed with {@code owner}.
     * {@code group} is the int4 group size (one of {@link Kernels#INT4_GROUP_SIZES}, dividing {@code in}).
     */
    public static PackedProjection pack(Kernels kernels, Format format, NDArray weight, int group, NDManager owner) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        PackedProjection packed;
        try (IValue w = IValue.from((PtNDArray) weight)) {
            packed = switch (format) {
                case BF16 ->
                    new PackedProjection(
                            kernels, format, new IValue[] {kernels.call("to_bf16", w)}, out, in, out * in * 2);
                case INT8 -> {
                    IValue[] weightAndScales = tuple(kernels.call("quantize_int8", w));
                    yield new PackedProjection(kernels, format, weightAndScales, out, in, out * in + out * 2);
                }
                case INT4 -> {
                    if (!Kernels.isInt4GroupSize(group) || in % group != 0) {
                        throw new IllegalArgumentException(
                                "int4 groups of " + group + " do not divide a weight of " + in + " input features");
                    }
                    IValue groupSize = IValue.from((long) group);
                    IValue[] packedAndScales = tuple(kernels.call("quantize_int4", w, groupSize));
                    long rows = (out + 15) / 16 * 16; // the kernel packs rows in sixteens
                    yield new PackedProjection(
                            kernels,
                            format,
                            new IValue[] {packedAndScales[0], groupSize, packedAndScales[1], IValue.from(out)},
                            out,
                            in,
                            rows * in / 2 + in / group * rows * 4);
                }
            };
        }
        owner.attachInternal(UUID.randomUUID().toString(), packed);
        return packed;
    }

    /**
     * An int4 weight quantised elsewhere (an AWQ checkpoint's), held as {@link #pack} holds its own: {@code q} [out, in]
     * int32 values 0..15, {@code scales} and {@code zeroPoints} [in/group, out] float32, meaning
     * w = (q - zeroPoint) * scale. The kernel keeps scales and zeros in bf16: rounding a checkpoint's fp16 scale to
     * bf16 moves it by up to 2^-8 of itself (8 significant bits instead of 11), and the zero likewise.
     */
    public static PackedProjection fromInt4(
            Kernels kernels, NDArray q, NDArray scales, NDArray zeroPoints, int group, NDManager owner) {
        long out = q.getShape().get(0);
        long in = q.getShape().get(1);
        if (!Kernels.isInt4GroupSize(group)
                || in % group != 0
                || scales.getShape().get(0) != in / group) {
            throw new IllegalArgumentException("int4 groups of " + group + " do not fit a weight of " + in
                    + " input features with " + scales.getShape().get(0) + " scale rows");
        }
        PackedProjection packed;
        try (IValue values = IValue.from((PtNDArray) q);
                IValue s = IValue.from((PtNDArray) scales);
                IValue z = IValue.from((PtNDArray) zeroPoints)) {
            IValue[] packedAndScales = tuple(kernels.call("pack_int4", values, s, z));
            long rows = (out + 15) / 16 * 16;
            packed = new PackedProjection(
                    kernels,
                    Format.INT4,
                    new IValue[] {packedAndScales[0], IValue.from((long) group), packedAndScales[1], IValue.from(out)},
                    out,
                    in,
                    rows * in / 2 + in / group * rows * 4);
        }
        owner.attachInternal(UUID.randomUUID().toString(), packed);
        return packed;
    }

    private static IValue[] tuple(IValue result) {
        try (result) {
            return result.toIValueTuple();
        }
    }

    @Override
    public NDArray apply(NDArray x, NDArray bias) {
        NDArray y;
        try (IValue input = IValue.from((PtNDArray) x);
                IValue result = multiply(input)) {
            y = result.toTensor((PtNDManager) x.getManager());
        }
        return bias == null ? y : y.add(bias);
    }

    private IValue multiply(IValue x) {
        return switch (format) {
            case BF16 -> kernels.call("linear_bf16", x, parts[0]);
            case INT8 -> kernels.call("linear_int8", x, parts[0], parts[1]);
            case INT4 -> kernels.call("linear_int4", x, parts[0], parts[1], parts[2], parts[3]);
        };
    }

    public Format format() {
        return format;
    }

    @Override
    public long outFeatures() {
        return out;
    }

    @Override
    public long inFeatures() {
        return in;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        for (IValue part : parts) {
            part.close();
        }
    }
}
