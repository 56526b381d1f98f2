package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;

import java.util.UUID;

/**
 * An embedding table in the format of the decoder's linear layers, since at a 150k-token vocabulary it is a fifth of
 * a 0.5B model: bf16 rows; int8 rows with one symmetric scale each (the layout of an int8 projection); or int4 in
 * groups of the row, each group's scale set as an int4 projection's (its value of largest magnitude is −8 steps),
 * two values to a byte, low nibble first. A lookup gathers the packed rows and widens only those.
 */
public final class PackedEmbedding implements TokenEmbedding, AutoCloseable {

    private final Kernels kernels;
    private final PackedProjection.Format format;
    private final IValue[] parts; // BF16: rows; INT8: rows, scales [V]; INT4: packed rows, scales [V, H / group]
    private final long rows;
    private final long width;
    private final long bytes;

    private PackedEmbedding(
            Kernels kernels, PackedProjection.Format format, IValue[] parts, long rows, long width, long bytes) {
        this.kernels = kernels;
        this.format = format;
        this.parts = parts;
        this.rows = rows;
        this.width = width;
        this.bytes = bytes;
    }

    /**
     * Packs {@code table} [V, H] (float32, overwritten: see {@link Kernels}) into {@code format}, owned by {@code owner}
     * ({@code null}: by the caller). {@code group} is the int4 group size and must
     * divide H.
     */
    static PackedEmbedding pack(
            Kernels kernels, PackedProjection.Format format, NDArray table, int group, NDManager owner) {
        long rows = table.getShape().get(0);
        long width = table.getShape().get(1);
        PackedEmbedding packed;
        try (IValue w = IValue.from((PtNDArray) table)) {
            packed = switch (format) {
                case BF16 ->
                    new PackedEmbedding(
                            kernels, format, new IValue[] {kernels.call("to_bf16", w)}, rows, width, rows * width * 2);
                case INT8 ->
                    new PackedEmbedding(
                            kernels,
                            format,
                            tuple(kernels.call("quantize_int8", w)),
                            rows,
                            width,
                            rows * width + rows * 2);
                case INT4 -> {
                    if (width % group != 0 || group % 2 != 0) {
                        throw new IllegalArgumentException(
                                "int4 groups of " + group + " do not divide embedding rows of " + width);
                    }
                    try (IValue groupSize = IValue.from((long) group)) {
                        yield new PackedEmbedding(
                                kernels,
                                format,
                                tuple(kernels.call("quantize_rows_int4", w, groupSize)),
                                rows,
                                width,
                                rows * width / 2 + rows * (width / group) * 2);
                    }
                }
            };
        }
        if (owner != null) {
            owner.attachInternal(UUID.randomUUID().toString(), packed);
        }
        return packed;
    }

    /** A table packed a block of rows at a time, into tensors allocated once (see {@link RowAssembly}). */
    static final class Blocks implements AutoCloseable {

        private final Kernels kernels;
        private final PackedProjection.Format format;
        private final long rows;
        private final long width;
        private final int group;
        private final RowAssembly assembly;
        private long added;
        private long bytes;

        Blocks(Kernels kernels, PackedProjection.Format format, long rows, long width, int group) {
            this.kernels = kernels;
            this.format = format;
            this.rows = rows;
            this.width = width;
            this.group = group;
            this.assembly = format == PackedProjection.Format.BF16
                    ? new RowAssembly(kernels, new int[] {0}, new long[] {rows})
                    : new RowAssembly(kernels, new int[] {0, 0}, new long[] {rows, rows});
        }

        /** Packs {@code block}, the next rows (float32, overwritten), and copies it in. */
        void add(NDArray block) {
            try (PackedEmbedding packed = pack(kernels, format, block, group, null)) {
                assembly.add(packed.parts);
                added += packed.rows;
                bytes += packed.bytes;
            }
        }

        /** The table, owned by {@code owner}. */
        PackedEmbedding finish(NDManager owner) {
            if (added != rows) {
                throw new IllegalStateException("blocks gave " + added + " of " + rows + " rows");
            }
            PackedEmbedding whole = new PackedEmbedding(kernels, format, assembly.finish(), rows, width, bytes);
            owner.attachInternal(UUID.randomUUID().toString(), whole);
            return whole;
        }

        @Override
        public void close() {
            assembly.close();
        }
    }

    private static IValue[] tuple(IValue result) {
        try (result) {
            return result.toIValueTuple();
        }
    }

    @Override
    public NDArray lookup(NDArray ids) {
        try (IValue index = IValue.from((PtNDArray) ids);
                IValue result = switch (format) {
                    case BF16 -> kernels.call("embed_bf16", parts[0], index);
                    case INT8 -> kernels.call("embed_int8", parts[0], parts[1], index);
                    case INT4 -> kernels.call("embed_int4", parts[0], parts[1], index);
                }) {
            return result.toTensor((PtNDManager) ids.getManager());
        }
    }

    public PackedProjection.Format format() {
        return format;
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public long width() {
        return width;
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
