package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.AutoPrecision;
import io.tributary.model.LoadOptions;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.checkpoint.WeightFusion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a model's linear weights and token embedding, as the checkpoint stores them, into the {@link Projection}s
 * and {@link TokenEmbedding} its load options ask for. A packed weight is read from the file and packed a block of
 * rows at a time into memory of its own, never through the file's mapped pages: loading holds the packed weights
 * and one block in full precision, so its peak is about the packed model's size, not the checkpoint's.
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
    /** Halves and blocks cut at a multiple of the int4 kernel's row block, so that packed blocks join. */
    private static final long ROW_MULTIPLE = PackedProjection.INT4_ROW_BLOCK;
    /**
     * Bytes of float32 rows read and packed at once: the most loading holds beside the packed weights. Small blocks
     * also keep the C allocator from holding freed memory: four 0.5B experts loaded in bf16 peaked at 5.9 GB with
     * 1 MB blocks, 6.3 GB with 2 MB, 6.8 GB with 16 MB and 7.3 GB with 64 MB (5.0 GB of weights).
     */
    private static final long BLOCK_BYTES = 1L << 20;

    private static final WeightPacker DENSE = new WeightPacker(null, null, 0, null, BLOCK_BYTES);

    private final PackedProjection.Format format; // null: dense
    private final Kernels kernels;
    private final int groupSize;
    private final NDManager owner;
    private final long blockBytes;

    private WeightPacker(
            PackedProjection.Format format, Kernels kernels, int groupSize, NDManager owner, long blockBytes) {
        this.format = format;
        this.kernels = kernels;
        this.groupSize = groupSize;
        this.owner = owner;
        this.blockBytes = blockBytes;
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
        return format == null
                ? DENSE
                : new WeightPacker(format, Kernels.load(owner), options.groupSize(), owner, BLOCK_BYTES);
    }

    /**
     * The packer of a vision tower: bf16 where the decoder is held in bf16, or in int8 or int4 on a CPU with bf16
     * arithmetic; dense otherwise. A tower encodes hundreds of positions at once, which oneDNN's bf16 matmul runs at
     * twice float32's rate on such CPUs, while the int8 and int4 kernels work one row at a time (an image prompt of
     * 607 positions prefilled as slowly per position as a 7B decoder decodes).
     */
    public static WeightPacker forVisionTower(LoadOptions options, NDManager owner) {
        boolean bf16 = options.precision() == Precision.BF16
                || options.quantization() != Quantization.NONE && AutoPrecision.cpuHasBf16();
        return bf16
                ? new WeightPacker(
                        PackedProjection.Format.BF16, Kernels.load(owner), options.groupSize(), owner, BLOCK_BYTES)
                : DENSE;
    }

    /** This packer reading blocks of about {@code bytes} of float32 rows: for tests of weights that span many. */
    WeightPacker withBlockBytes(long bytes) {
        return new WeightPacker(format, kernels, groupSize, owner, bytes);
    }

    /** Rows of a checkpoint tensor that go into a stacked weight, multiplied by {@code scale}. */
    public record RowSource(String tensor, float scale) {

        /** The tensor's rows as stored. */
        public static RowSource of(String tensor) {
            return new RowSource(tensor, 1f);
        }
    }

    /**
     * The linear weight whose rows are {@code sources}' rows in order (fused projections that read one input) as a
     * projection. Dense, it is loaded as {@code tensors} loads (the file's pages where they need no conversion); only
     * the first source may then be scaled. Packed, it is read and packed in blocks of rows.
     */
    public Projection linear(CheckpointTensors tensors, List<RowSource> sources, NDManager manager, DataType dataType) {
        long in = tensors.shape(sources.get(0).tensor())[1];
        PackedProjection.Format chosen = formatFor(in);
        if (chosen == null) {
            return new DenseProjection(denseRows(tensors, sources, manager, dataType));
        }
        long total = 0;
        for (RowSource source : sources) {
            total += tensors.shape(source.tensor())[0];
        }
        long half = total / 2 / ROW_MULTIPLE * ROW_MULTIPLE;
        if (half == 0 || total * in * chosen.bits() / 8 < SPLIT_BYTES) {
            return packRows(tensors, sources, 0, total, chosen, manager);
        }
        return new SplitProjection(
                packRows(tensors, sources, 0, half, chosen, manager),
                packRows(tensors, sources, half, total, chosen, manager));
    }

    private static NDArray denseRows(
            CheckpointTensors tensors, List<RowSource> sources, NDManager manager, DataType dataType) {
        for (RowSource source : sources.subList(1, sources.size())) {
            if (source.scale() != 1f) {
                throw new IllegalArgumentException("only the first rows of a dense weight can be scaled");
            }
        }
        NDArray weight = sources.size() == 1
                ? tensors.load(sources.get(0).tensor(), manager, dataType)
                : tensors.loadRows(sources.stream().map(RowSource::tensor).toList(), manager, dataType);
        RowSource first = sources.get(0);
        return first.scale() == 1f
                ? weight
                : WeightFusion.scaleLeadingRows(weight, tensors.shape(first.tensor())[0], first.scale());
    }

    /**
     * Rows {@code [from, to)} of the stacked weight, packed block by block. Blocks never span two sources; when a
     * source boundary would leave an int4 block that does not join (see {@link PackedProjection.Blocks}), the rows
     * are gathered in full precision and packed at once instead.
     */
    private PackedProjection packRows(
            CheckpointTensors tensors,
            List<RowSource> sources,
            long from,
            long to,
            PackedProjection.Format chosen,
            NDManager manager) {
        long in = tensors.shape(sources.get(0).tensor())[1];
        long blockRows = Math.max(ROW_MULTIPLE, blockBytes / (in * 4) / ROW_MULTIPLE * ROW_MULTIPLE);
        List<long[]> spans = new ArrayList<>(); // {source, first row, end row} in the source's own rows
        long offset = 0;
        boolean joinable = true;
        for (int s = 0; s < sources.size(); s++) {
            long rows = tensors.shape(sources.get(s).tensor())[0];
            long begin = Math.max(from, offset);
            long end = Math.min(to, offset + rows);
            for (long b = begin; b < end; b += blockRows) {
                long e = Math.min(end, b + blockRows);
                spans.add(new long[] {s, b - offset, e - offset});
                joinable &= e == to || (e - b) % ROW_MULTIPLE == 0;
            }
            offset += rows;
        }
        if (!joinable && chosen == PackedProjection.Format.INT4) {
            try (NDManager scratch = manager.newSubManager()) {
                NDList blocks = new NDList();
                for (long[] span : spans) {
                    blocks.add(readBlock(tensors, sources.get((int) span[0]), span[1], span[2], scratch));
                }
                NDArray rows = blocks.size() == 1 ? blocks.get(0) : NDArrays.concat(blocks, 0);
                return PackedProjection.packBlock(kernels, chosen, rows, groupSize, owner);
            }
        }
        try (PackedProjection.Blocks blocks = new PackedProjection.Blocks(kernels, chosen, to - from, in, groupSize)) {
            for (long[] span : spans) {
                try (NDManager scratch = manager.newSubManager()) {
                    blocks.add(readBlock(tensors, sources.get((int) span[0]), span[1], span[2], scratch));
                }
            }
            return blocks.finish(owner);
        }
    }

    /** Float32 rows {@code [from, to)} of a source, scaled, owned by {@code scratch}. */
    private static NDArray readBlock(
            CheckpointTensors tensors, RowSource source, long from, long to, NDManager scratch) {
        NDArray block = tensors.loadRowRange(source.tensor(), from, to, scratch, DataType.FLOAT32);
        return source.scale() == 1f ? block : block.muli(source.scale());
    }

    /**
     * The token embedding {@code name} [V, H]: as stored when dense; else in the linear layers' format, read and
     * packed in blocks of rows. An int4 table whose rows the group size does not divide is held as int8.
     */
    public TokenEmbedding embedding(CheckpointTensors tensors, String name, NDManager manager, DataType dataType) {
        if (format == null) {
            return new DenseEmbedding(tensors.load(name, manager, dataType));
        }
        long[] shape = tensors.shape(name);
        PackedProjection.Format chosen = format == PackedProjection.Format.INT4 && shape[1] % groupSize != 0
                ? PackedProjection.Format.INT8
                : format;
        long blockRows = Math.max(1, blockBytes / (shape[1] * 4));
        try (PackedEmbedding.Blocks blocks =
                new PackedEmbedding.Blocks(kernels, chosen, shape[0], shape[1], groupSize)) {
            for (long from = 0; from < shape[0]; from += blockRows) {
                try (NDManager scratch = manager.newSubManager()) {
                    blocks.add(tensors.loadRowRange(
                            name, from, Math.min(shape[0], from + blockRows), scratch, DataType.FLOAT32));
                }
            }
            return blocks.finish(owner);
        }
    }

    /**
     * The output projection of a model whose embedding is tied to it: the embedding's own array when dense; packed
     * as a linear weight from the file otherwise (the kernels' layouts for a lookup and for a product differ).
     */
    public Projection tiedHead(
            CheckpointTensors tensors, String name, TokenEmbedding embedding, NDManager manager, DataType dataType) {
        if (embedding instanceof DenseEmbedding dense) {
            return packShared(dense.weight());
        }
        return linear(tensors, List.of(RowSource.of(name)), manager, dataType);
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
        if (rows < 2 * ROW_MULTIPLE || rows * weight.getShape().get(1) * chosen.bits() / 8 < SPLIT_BYTES) {
            return PackedProjection.pack(kernels, chosen, weight, groupSize, owner);
        }
        long half = rows / 2 / ROW_MULTIPLE * ROW_MULTIPLE;
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
        if (rows < 2 * ROW_MULTIPLE || rows * q.getShape().get(1) / 2 < SPLIT_BYTES) {
            return PackedProjection.fromInt4(kernels, q, scales, zeroPoints, group, owner);
        }
        long half = rows / 2 / ROW_MULTIPLE * ROW_MULTIPLE;
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
