package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

    /**
     * Rows ATen's int4 packing interleaves, on CPUs with AVX-512: blocks of whole multiples of it pack as the whole
     * weight does ({@code WeightPackerTest} checks it on the machine that runs the tests).
     */
    public static final int INT4_ROW_BLOCK = 64;

    /** Rows of input from which an int8 weight is widened to bf16 for the multiplication (see {@link #multiply}). */
    static final long INT8_WIDENED_ROWS = 48;

    /** The same for int4 weights. */
    static final long INT4_WIDENED_ROWS = 192;

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
     * Packs {@code weight} [out, in] (any float type) into {@code format}; the result is closed with {@code owner}
     * ({@code null}: by the caller). {@code group} is the int4 group size (one of
     * {@link Kernels#INT4_GROUP_SIZES}, dividing {@code in}).
     */
    public static PackedProjection pack(Kernels kernels, Format format, NDArray weight, int group, NDManager owner) {
        try (NDArray block = weight.toType(DataType.FLOAT32, true)) {
            return packBlock(kernels, format, block, group, owner);
        }
    }

    /** As {@link #pack}, overwriting {@code block}, a float32 array read for this (see {@link Kernels}). */
    static PackedProjection packBlock(Kernels kernels, Format format, NDArray block, int group, NDManager owner) {
        long out = block.getShape().get(0);
        long in = block.getShape().get(1);
        PackedProjection packed;
        try (IValue w = IValue.from((PtNDArray) block)) {
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
        if (owner != null) {
            owner.attachInternal(UUID.randomUUID().toString(), packed);
        }
        return packed;
    }

    /**
     * A weight packed a block of output rows at a time, into tensors allocated once for all its rows (see
     * {@link RowAssembly}). The int4 kernel lays rows out in groups of {@link #INT4_ROW_BLOCK}, so every int4 block
     * but the last must have a multiple of that many rows (a block's padding would land mid-weight).
     */
    static final class Blocks implements AutoCloseable {

        private final Kernels kernels;
        private final Format format;
        private final long out;
        private final long in;
        private final int group;
        private final RowAssembly assembly;
        private long added;
        private long bytes;
        private boolean ragged;

        Blocks(Kernels kernels, Format format, long out, long in, int group) {
            this.kernels = kernels;
            this.format = format;
            this.out = out;
            this.in = in;
            this.group = group;
            long padded = (out + 15) / 16 * 16;
            this.assembly = switch (format) {
                case BF16 -> new RowAssembly(kernels, new int[] {0}, new long[] {out});
                case INT8 -> new RowAssembly(kernels, new int[] {0, 0}, new long[] {out, out});
                case INT4 -> new RowAssembly(kernels, new int[] {0, -1, 1, -1}, new long[] {padded, 0, padded, 0});
            };
        }

        /** Packs {@code block}, the next rows (float32, overwritten), and copies it in. */
        void add(NDArray block) {
            if (ragged && format == Format.INT4) {
                throw new IllegalArgumentException("an int4 block of a number of rows that is not a multiple of "
                        + INT4_ROW_BLOCK + " must be the last");
            }
            try (PackedProjection packed = packBlock(kernels, format, block, group, null)) {
                assembly.add(packed.parts);
                added += packed.out;
                bytes += packed.bytes;
                ragged = packed.out % INT4_ROW_BLOCK != 0;
            }
        }

        /** The weight, owned by {@code owner}. */
        PackedProjection finish(NDManager owner) {
            if (added != out) {
                throw new IllegalStateException("blocks gave " + added + " of " + out + " rows");
            }
            IValue[] parts = assembly.finish();
            if (format == Format.INT4) {
                parts[1] = IValue.from((long) group);
                parts[3] = IValue.from(out);
            }
            PackedProjection whole = new PackedProjection(kernels, format, parts, out, in, bytes);
            owner.attachInternal(UUID.randomUUID().toString(), whole);
            return whole;
        }

        @Override
        public void close() {
            assembly.close();
        }
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
                IValue result = multiply(input, x.getShape().size() / in)) {
            y = result.toTensor((PtNDManager) x.getManager());
        }
        return bias == null ? y : y.add(bias);
    }

    /**
     * The weight-only kernels widen the weight again for every block of four rows of {@code x}, so their cost grows
     * with the rows as a float32 matmul's does; past a few dozen rows (a prompt's prefill) it is cheaper to widen the
     * whole weight to bf16 once and multiply through oneDNN's bf16 matmul. An int8 weight's values are exact in bf16
     * and its row scales are applied to the product; an int4 weight is widened with its group scales and zeros,
     * rounding each element to bf16 once more. Measured here on a 0.5B model's MLP weights ([4864, 896] and back), one
     * thread: at 512 rows int8 took 30-45 ms by its kernel and 14-17 ms widened, int4 33-45 and 19-30 (float32 52-83);
     * the int8 crossover lies near 48 rows, int4's (whose unpacking costs ~7 ms a weight) near 200.
     */
    private IValue multiply(IValue x, long rows) {
        return switch (format) {
            case BF16 -> kernels.call("linear_bf16", x, parts[0]);
            case INT8 ->
                kernels.call(
                        rows >= INT8_WIDENED_ROWS ? "linear_int8_dequantized" : "linear_int8", x, parts[0], parts[1]);
            case INT4 ->
                kernels.call(
                        rows >= INT4_WIDENED_ROWS && kernels.unpacksInt4() ? "linear_int4_dequantized" : "linear_int4",
                        x,
                        parts[0],
                        parts[1],
                        parts[2],
                        parts[3]);
        };
    }

    public Format format() {
        return format;
    }

    /** The packed tensors, as {@link #parts} lists them; still this weight's to close. */
    IValue[] parts() {
        return parts;
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
