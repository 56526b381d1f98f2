package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * A whole decoder layer of a decode step (one position per sequence) in one call: a TorchScript method that runs the
 * ops the layer's Java code would dispatch one by one through DJL (about 60 of them, each a JNI call and an array to
 * free), in the same order and through the same ATen kernels, so its results are the same to the bit. A decode step
 * of a small model spends more time between those ops than in them.
 *
 * <p>A layer's weights are handed over once, as a {@code List[Tensor]} held natively ({@link LayerWeights}); a step
 * passes them with the activations, the layer's slice of the paged KV cache (written in place), and the step's
 * rotations, cache rows and blocks. Each projection is bf16, int8 or int4 (the kernels of {@link Kernels}); a weight
 * held in two halves has its second half multiplied on a forked task (ATen's inter-op thread), the second core's
 * share of what the decoder's row split does.
 */
public final class FusedDecode {

    /*
     * A layer as the method reads it. Its five projections (qkv, o, gate, up, down) are ten parts, a projection's two
     * halves or itself and an absent second half. w, the tensors: part p at w[2p] and w[2p + 1] (bf16: the weight
     * and nothing; int8: weight and row scales; int4: packed weight, scales and zeros), then w[20] the input norm,
     * w[21] the post-attention norm, w[22] the qkv bias, w[23] the o bias. m, the integers: part p's kind (-1 absent,
     * 1 bf16, 2 int8, 3 int4), int4 group size and rows at m[3p], m[3p + 1], m[3p + 2], then the query heads, kv
     * heads and head size at m[30..32], and whether each bias is there at m[33], m[34].
     */
    private static final int PARTS = 10;
    private static final int HEADS_AT = 3 * PARTS;
    private static final String SOURCE = """
              def new_list(self: __torch__.M, first: Tensor) -> List[Tensor]:
                return [first]
              def push(self: __torch__.M, items: List[Tensor], item: Tensor) -> List[Tensor]:
                items.append(item)
                return items
              def part(self: __torch__.M, x: Tensor, w: List[Tensor], m: List[int], p: int) -> Tensor:
                kind = m[3 * p]
                if kind == 1:
                  return torch.linear(torch.contiguous(x.to(15)), w[2 * p]).to(6)
                if kind == 2:
                  return torch._weight_int8pack_mm(torch.contiguous(x.to(15)), w[2 * p], w[2 * p + 1]).to(6)
                y = torch._weight_int4pack_mm_for_cpu(torch.contiguous(x.to(15)), w[2 * p], m[3 * p + 1], w[2 * p + 1])
                return torch.contiguous(torch.narrow(y, 1, 0, m[3 * p + 2]).to(6))
              def projection(self: __torch__.M, x: Tensor, w: List[Tensor], m: List[int], p: int) -> Tensor:
                if m[3 * (2 * p + 1)] < 0:
                  return self.part(x, w, m, 2 * p)
                second = fork(self.part, x, w, m, 2 * p + 1)
                first = self.part(x, w, m, 2 * p)
                return torch.cat([first, torch.wait(second)], -1)
              def rms_norm(self: __torch__.M, x: Tensor, w: Tensor, eps: float) -> Tensor:
                rms = torch.sqrt(torch.add(torch.mean(torch.square(x), [-1], True), eps))
                return torch.mul(torch.div(x, rms), w)
              def decode_layer(self: __torch__.M, x: Tensor, w: List[Tensor], m: List[int], eps: float, keys: Tensor, values: Tensor, rot: Tensor, write_blocks: Tensor, write_offsets: Tensor, blocks: Tensor, mask: Tensor, context: int) -> Tensor:
                q_heads = m[30]
                kv_heads = m[31]
                dim = m[32]
                rows = x.size(0)
                qkv = self.projection(self.rms_norm(x, w[20], eps), w, m, 0)
                if m[33] == 1:
                  qkv = torch.add(qkv, w[22])
                qkv = torch.reshape(qkv, [rows, q_heads + 2 * kv_heads, dim])
                qk = torch.matmul(torch.narrow(qkv, 1, 0, q_heads + kv_heads), rot)
                q = torch.narrow(qk, 1, 0, q_heads)
                index: List[Optional[Tensor]] = [None, write_blocks, write_offsets]
                torch.index_put_(keys, index, torch.transpose(torch.narrow(qk, 1, q_heads, kv_heads), 0, 1))
                torch.index_put_(values, index, torch.transpose(torch.narrow(qkv, 1, q_heads + kv_heads, kv_heads), 0, 1))
                queries = torch.transpose(torch.reshape(q, [rows, kv_heads, q_heads // kv_heads, dim]), 0, 1)
                positions = blocks.size(0) // rows * keys.size(2)
                k_run = torch.reshape(torch.index_select(keys, 1, blocks), [kv_heads, rows, positions, dim])
                v_run = torch.reshape(torch.index_select(values, 1, blocks), [kv_heads, rows, positions, dim])
                if positions != context:
                  k_run = torch.narrow(k_run, 2, 0, context)
                  v_run = torch.narrow(v_run, 2, 0, context)
                scores = torch.matmul(queries, torch.transpose(k_run, 2, 3))
                if mask.dim() > 0:
                  scores = torch.add(scores, mask)
                attended = torch.matmul(torch.softmax(scores, -1), v_run)
                o = self.projection(torch.reshape(torch.transpose(attended, 0, 1), [rows, q_heads * dim]), w, m, 1)
                if m[34] == 1:
                  o = torch.add(o, w[23])
                x = torch.add(x, o)
                h = self.rms_norm(x, w[21], eps)
                gate = self.projection(h, w, m, 2)
                up = self.projection(h, w, m, 3)
                down = self.projection(torch.mul(torch.mul(gate, torch.sigmoid(gate)), up), w, m, 4)
                return torch.add(x, down)
            """;

    private final PtSymbolBlock module;
    private final NDManager manager;
    private final PtNDArray none; // a 0-d tensor in the slots of absent halves and biases, and as "no mask"

    private FusedDecode(PtSymbolBlock module, NDManager manager) {
        this.module = module;
        this.manager = manager;
        this.none = (PtNDArray) manager.create(0f);
    }

    /** Compiles the module into {@code manager}, which frees it and every layer's weights when it closes. */
    public static FusedDecode load(NDManager manager) {
        byte[] archive = TorchScriptArchive.of(SOURCE);
        try (ByteArrayInputStream in = new ByteArrayInputStream(archive)) {
            return new FusedDecode(JniUtils.loadModule((PtNDManager) manager, in, false, false), manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A layer's projections, each packed or two packed halves. */
    public record Projections(Projection qkv, Projection o, Projection gate, Projection up, Projection down) {

        public List<Projection> inOrder() {
            return List.of(qkv, o, gate, up, down);
        }
    }

    /** Whether every projection is packed (bf16, int8, int4), or two packed halves. */
    public static boolean packedOnly(Projections projections) {
        return projections.inOrder().stream()
                .allMatch(projection -> projection instanceof PackedProjection
                        || projection instanceof SplitProjection split
                                && split.top() instanceof PackedProjection
                                && split.bottom() instanceof PackedProjection);
    }

    /**
     * The layer's weights as the method reads them, held natively until {@code manager} closes: the tensors are
     * shared with the arrays and packed weights given, not copied.
     *
     * @param qkvBias    null without one
     * @param oBias      null without one
     * @param rmsNormEps the norms' epsilon
     */
    public LayerWeights weights(
            Projections projections,
            NDArray inputNorm,
            NDArray postAttentionNorm,
            NDArray qkvBias,
            NDArray oBias,
            int queryHeads,
            int kvHeads,
            int headDim,
            double rmsNormEps) {
        if (!packedOnly(projections)) {
            throw new IllegalArgumentException("the fused layer multiplies packed weights only: " + projections);
        }
        List<IValue> tensors = new ArrayList<>(); // in the list's order
        List<IValue> wrappers = new ArrayList<>(); // made here, closed once pushed; packed weights close their own
        Function<NDArray, IValue> wrap = array -> {
            IValue wrapper = IValue.from((PtNDArray) (array == null ? none : array));
            wrappers.add(wrapper);
            return wrapper;
        };
        long[] meta = new long[HEADS_AT + 5];
        int part = 0;
        for (Projection projection : projections.inOrder()) {
            if (projection instanceof SplitProjection split) {
                describe((PackedProjection) split.top(), part++, tensors, meta, wrap);
                describe((PackedProjection) split.bottom(), part++, tensors, meta, wrap);
            } else {
                describe((PackedProjection) projection, part++, tensors, meta, wrap);
                tensors.add(wrap.apply(null));
                tensors.add(wrap.apply(null));
                meta[3 * part++] = -1;
            }
        }
        tensors.add(wrap.apply(inputNorm));
        tensors.add(wrap.apply(postAttentionNorm));
        tensors.add(wrap.apply(qkvBias));
        tensors.add(wrap.apply(oBias));
        meta[HEADS_AT] = queryHeads;
        meta[HEADS_AT + 1] = kvHeads;
        meta[HEADS_AT + 2] = headDim;
        meta[HEADS_AT + 3] = qkvBias == null ? 0 : 1;
        meta[HEADS_AT + 4] = oBias == null ? 0 : 1;
        // A list literal with an element: an empty one is a constant, the same list at every call.
        IValue list = IValueUtils.runMethod(module, "new_list", tensors.get(0));
        for (IValue tensor : tensors.subList(1, tensors.size())) {
            IValue longer = IValueUtils.runMethod(module, "push", list, tensor); // the list holds its own reference
            list.close();
            list = longer;
        }
        wrappers.forEach(IValue::close);
        LayerWeights weights = new LayerWeights(list, IValue.listFrom(meta), IValue.from(rmsNormEps));
        manager.attachInternal(UUID.randomUUID().toString(), weights);
        return weights;
    }

    /** Adds one projection's two tensors and its (kind, group, rows) as part {@code part}. */
    private static void describe(
            PackedProjection packed, int part, List<IValue> tensors, long[] meta, Function<NDArray, IValue> wrap) {
        IValue[] parts = packed.parts();
        switch (packed.format()) {
            case BF16 -> {
                tensors.add(parts[0]);
                tensors.add(wrap.apply(null));
                meta[3 * part] = 1;
            }
            case INT8 -> {
                tensors.add(parts[0]);
                tensors.add(parts[1]);
                meta[3 * part] = 2;
            }
            case INT4 -> {
                tensors.add(parts[0]);
                tensors.add(parts[2]);
                meta[3 * part] = 3;
                meta[3 * part + 1] = parts[1].toLong();
                meta[3 * part + 2] = parts[3].toLong();
            }
        }
    }

    /**
     * One decoder layer for {@code x} [B, H] float32, one row per sequence at one new position each: returns the
     * residual stream after the layer [B, H], owned by x's manager, having written the rows' keys and values into
     * {@code keys} and {@code values} (the layer's pool, [K, blocks, P, D]) at their {@code (block, offset)}.
     */
    public NDArray layer(NDArray x, LayerWeights weights, NDArray keys, NDArray values, StepArguments step) {
        try (IValue input = IValue.from((PtNDArray) x);
                IValue k = IValue.from((PtNDArray) keys);
                IValue v = IValue.from((PtNDArray) values);
                IValue out = IValueUtils.runMethod(
                        module,
                        "decode_layer",
                        input,
                        weights.tensors,
                        weights.meta,
                        weights.rmsNormEps,
                        k,
                        v,
                        step.rotations,
                        step.writeBlocks,
                        step.writeOffsets,
                        step.blocks,
                        step.mask,
                        step.context)) {
            return out.toTensor((PtNDManager) x.getManager());
        }
    }

    /**
     * What every layer of one step reads, wrapped once per step; closes its wrappers, not the arrays.
     *
     * @param rotations    [B, D, D]: each row's rotary matrix
     * @param writeBlocks  int64 [B]: the block each row's key and value go to
     * @param writeOffsets int64 [B]: their offset in it
     * @param blocks       int64 [B * M]: each sequence's M blocks, padded alike
     * @param mask         [B, 1, S] added to the scores, or null where every sequence sees all {@code context}
     */
    public StepArguments step(
            NDArray rotations, NDArray writeBlocks, NDArray writeOffsets, NDArray blocks, NDArray mask, int context) {
        return new StepArguments(
                IValue.from((PtNDArray) rotations),
                IValue.from((PtNDArray) writeBlocks),
                IValue.from((PtNDArray) writeOffsets),
                IValue.from((PtNDArray) blocks),
                IValue.from(mask == null ? none : (PtNDArray) mask),
                IValue.from((long) context));
    }

    /** The step's arguments of {@link #layer}. */
    public static final class StepArguments implements AutoCloseable {

        private final IValue rotations;
        private final IValue writeBlocks;
        private final IValue writeOffsets;
        private final IValue blocks;
        private final IValue mask;
        private final IValue context;

        private StepArguments(
                IValue rotations, IValue writeBlocks, IValue writeOffsets, IValue blocks, IValue mask, IValue context) {
            this.rotations = rotations;
            this.writeBlocks = writeBlocks;
            this.writeOffsets = writeOffsets;
            this.blocks = blocks;
            this.mask = mask;
            this.context = context;
        }

        @Override
        public void close() {
            for (IValue value : new IValue[] {rotations, writeBlocks, writeOffsets, blocks, mask, context}) {
                value.close();
            }
        }
    }

    /** A layer's weights as the method takes them; closed with the manager given to {@link #load}. */
    public static final class LayerWeights implements AutoCloseable {

        private final IValue tensors;
        private final IValue meta;
        private final IValue rmsNormEps;

        private LayerWeights(IValue tensors, IValue meta, IValue rmsNormEps) {
            this.tensors = tensors;
            this.meta = meta;
            this.rmsNormEps = rmsNormEps;
        }

        @Override
        public void close() {
            tensors.close();
            meta.close();
            rmsNormEps.close();
        }
    }
}
