package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.DenseProjection;
import io.tributary.model.kernel.FusedDecode;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.SplitProjection;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.llama.LlamaWeights;
import io.tributary.model.llama.LlamaWeightsLoader;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Llama decoder forward pass (transformers' {@code LlamaForCausalLM}, and {@code Qwen2ForCausalLM}, which adds
 * q/k/v biases), one batched step at a time: a step feeds the new positions of many sequences as the rows of one
 * tensor ({@link StepLayout}), writes their keys and values into each sequence's cache blocks and returns the hidden
 * states the output head reads. A prefill chunk is a sequence with many new positions, fed token embeddings or,
 * for a vision-language model, embeddings with image features spliced in.
 *
 * <p>Every intermediate array is created in the caller's {@code step} manager: results attach to the manager of
 * an op's first operand, so activations always come first and weights second, and nothing leaks into the
 * weights' manager.
 */
public final class LlamaModel {

    /** Logits computed at once when scoring a prompt: 4 Mi floats (16 MB), 128 rows of a 32k vocabulary. */
    static final int LOGITS_PER_CHUNK = 1 << 22;

    /**
     * Decode steps of fewer rows run a layer a call. Measured here on a 0.5B decoder in int8 (bench decode-step, one
     * intra-op thread, two runs each), step ms op by op / fused: 1 row 33-44 / 33-36, 2 rows 44 / 36-43, 4 rows 39 /
     * 40-46, 8 rows 64-70 / 75-88. A layer's weights held in halves fork their second half onto ATen's inter-op
     * thread, which wakes from sleep each time, where the op-by-op row split hands it to a spinning partner; with
     * more rows that costs more than the dispatch saved.
     */
    static final int FUSED_MAX_ROWS = 3;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    private final Attention attention;
    private final NDArray rmsNormEps; // [1] float32: a tensor operand dispatches faster than a Java scalar
    private RowSplit rowSplit; // set once by the model's BatchDecoder; null: every matmul on the calling thread
    private FusedDecode fused; // set once by the model's BatchDecoder; null: decode steps run op by op
    private FusedDecode.LayerWeights[] fusedLayers;
    private long fusedSteps; // steps that ran a layer a call, for tests

    LlamaModel(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, NDManager manager) {
        this.config = config;
        this.weights = weights;
        this.rope = rope;
        this.attention = new Attention(config);
        this.rmsNormEps = manager.create(new float[] {(float) config.rmsNormEps()});
    }

    /**
     * Canonical tensor names and shapes this decoder needs from {@code tensors} (the output projection only when
     * not tied), for {@link CheckpointTensors#validate}.
     */
    public static Map<String, long[]> expectedShapes(CheckpointTensors tensors, LlamaConfig config) {
        return LlamaWeightsLoader.expectedShapes(config, LlamaWeightsLoader.tied(tensors, config));
    }

    /** Tensors a decoder checkpoint may hold that are not read. */
    public static Predicate<String> ignoredTensors() {
        return LlamaWeightsLoader.IGNORED;
    }

    /** Loads the decoder's weights (already validated) into {@code manager}, which owns them, as they are stored. */
    public static LlamaModel load(CheckpointTensors tensors, LlamaConfig config, NDManager manager, DataType dataType) {
        return load(tensors, config, manager, dataType, WeightPacker.dense());
    }

    /** As above, the linear layers packed as {@code packer} says (bf16, int8, int4, or dense). */
    public static LlamaModel load(
            CheckpointTensors tensors, LlamaConfig config, NDManager manager, DataType dataType, WeightPacker packer) {
        boolean tied = LlamaWeightsLoader.tied(tensors, config);
        LlamaWeights weights = LlamaWeightsLoader.load(tensors, config, tied, manager, dataType, packer);
        return new LlamaModel(config, weights, new RotaryEmbedding(config, manager, dataType), manager);
    }

    public LlamaConfig config() {
        return config;
    }

    /** Bytes the weights take as held (see {@link LlamaWeights#bytes}). */
    public long weightBytes() {
        return weights.bytes();
    }

    /** The embedding rows of {@code tokens}: [T, H] in the weights' type, owned by {@code step}. */
    public NDArray embedTokens(int[] tokens, NDManager step) {
        NDArray ids = step.create(Arrays.stream(tokens).asLongStream().toArray());
        return weights.embedTokens().lookup(ids);
    }

    /**
     * Runs one batched step's rows through every decoder layer, caching each row's key and value in its sequence's
     * block for its position.
     *
     * @param x [N, H] input embeddings of the step's rows, in the weights' type, in {@code layout}'s row order
     * @return [N, H] the residual stream after the last layer (before the final norm)
     */
    NDArray hiddenStates(NDArray x, StepLayout layout, PagedKvCache cache, NDManager step) {
        StepInputs inputs = StepInputs.of(
                layout, rope, config.queriesPerKeyValueHead(), weights.norm().getDataType(), step);
        if (fusedLayers != null
                && layout.chunks().isEmpty()
                && layout.rows() < FUSED_MAX_ROWS
                && x.getDataType() == DataType.FLOAT32) {
            return fusedHiddenStates(x, inputs, cache);
        }
        // Decoder layers: pre-norm attention, then pre-norm SwiGLU MLP, each added back to the residual.
        for (int i = 0; i < weights.layers().size(); i++) {
            LlamaWeights.Layer layer = weights.layers().get(i);
            // A layer's intermediates live in a scope closed when the layer ends; only the residual stream moves
            // on, so a long prefill holds one layer's activations (~200 MB at 1k tokens of a 0.5B model), not all.
            try (NDManager scope = step.newSubManager()) {
                if (i == 0) {
                    x.tempAttach(scope); // the caller's input goes back to the caller's manager
                } else {
                    x.attach(scope); // the previous layer's output is not needed after this layer
                }
                NDArray h = rmsNorm(x, layer.inputLayernorm());
                x = x.add(attention(h, layer, i, inputs, cache, scope));
                x = x.add(mlp(rmsNorm(x, layer.postAttentionLayernorm()), layer));
                x.attach(step);
            }
        }
        return x;
    }

    /** A decode step, each layer in one call (see {@link FusedDecode}); the same ops as the loop above. */
    private NDArray fusedHiddenStates(NDArray x, StepInputs inputs, PagedKvCache cache) {
        fusedSteps++;
        try (FusedDecode.StepArguments step = fused.step(
                inputs.rotations(),
                inputs.cacheBlocks(),
                inputs.cacheOffsets(),
                inputs.decodeBlocks(),
                inputs.decodeMask(),
                inputs.layout().decodeContext())) {
            NDArray h = x;
            for (int i = 0; i < fusedLayers.length; i++) {
                NDArray next = fused.layer(h, fusedLayers[i], cache.keyPool(i), cache.valuePool(i), step);
                if (h != x) {
                    h.close(); // the caller's input stays the caller's
                }
                h = next;
            }
            return h;
        }
    }

    /**
     * Training's forward pass, through the layers and attention a served prefill runs: each sequence's embeddings
     * [T_i, H] are one prefill chunk of one step, from position 0 in cache blocks of its own. Returns
     * {@code log p(targets[i][t] | positions ≤ t)} for every t with {@code targets[i][t] ≥ 0}, in order: [M] float32,
     * differentiable while autograd records. The step's cache is freed before returning; autograd keeps what the
     * backward pass reads.
     */
    public NDArray targetLogProbs(List<NDArray> sequences, List<int[]> targets, NDManager step) {
        List<Long> rows = new ArrayList<>();
        List<Long> picks = new ArrayList<>();
        int row = 0;
        try (PagedKvCache cache = new PagedKvCache(
                config, step, null, weights.norm().getDataType(), KvCacheSettings.DEFAULT.blockPositions(), 0)) {
            StepLayout layout = new StepLayout(cache.blockPositions());
            for (int i = 0; i < sequences.size(); i++) {
                int length = Math.toIntExact(sequences.get(i).getShape().get(0));
                if (targets.get(i).length != length) {
                    throw new IllegalArgumentException("sequence " + i + " has " + length + " positions but "
                            + targets.get(i).length + " targets");
                }
                PagedKvCache.BlockTable table = cache.newTable();
                cache.reserve(table, length);
                layout.add(new StepLayout.Sequence(table, 0, length));
                for (int t = 0; t < length; t++) {
                    if (targets.get(i)[t] >= 0) {
                        rows.add((long) row + t);
                        picks.add((long) targets.get(i)[t]);
                    }
                }
                row += length;
            }
            NDArray x = sequences.size() == 1 ? sequences.get(0) : NDArrays.concat(new NDList(sequences), 0);
            NDArray hidden = hiddenStates(x, layout, cache, step);
            long[] picked = picks.stream().mapToLong(Long::longValue).toArray();
            NDArray logProbs = logProbsOfRows(
                    hidden, rows.stream().mapToLong(Long::longValue).toArray());
            return logProbs.gather(step.create(picked, new Shape(picked.length, 1)), 1)
                    .reshape(picked.length);
        }
    }

    /** Every distinct weight array, once: what a trainer updates in place. */
    public List<NDArray> parameters() {
        return weights.parameters();
    }

    /** The weights as checkpoint tensors under canonical names ({@code model.*}, {@code lm_head.weight}). */
    public List<Tensor> checkpointTensors() {
        return LlamaWeightsLoader.export(weights, config);
    }

    /** Float32 log-probabilities [M, V] of the token after each of the given rows of {@code hidden} [N, H]. */
    NDArray logProbsOfRows(NDArray hidden, long[] rows) {
        boolean all = rows.length == hidden.getShape().get(0);
        for (int r = 0; all && r < rows.length; r++) {
            all = rows[r] == r;
        }
        // Only rows that predict a wanted token pay for the vocabulary projection.
        NDArray picked = all ? hidden : hidden.get(hidden.getManager().create(rows));
        return logProbs(picked);
    }

    /**
     * {@code log p(targets[r] | rows ≤ r)} for each row r with {@code scored[r]} ({@code NaN} for the others), from
     * hidden states [T, H] whose row r predicts {@code targets[r]} ({@code targets} may be shorter than T: the rows
     * beyond predict nothing scored). The vocabulary projection runs over chunks of rows, so a long prompt never
     * holds [T, V] logits at once.
     */
    float[] targetLogProbs(NDArray hidden, int[] targets, boolean[] scored) {
        return targetLogProbs(hidden, targets, scored, Math.max(1, LOGITS_PER_CHUNK / config.vocabSize()));
    }

    /** As above, projecting {@code rows} positions at a time. */
    float[] targetLogProbs(NDArray hidden, int[] targets, boolean[] scored, int rows) {
        float[] result = new float[targets.length];
        java.util.Arrays.fill(result, Float.NaN);
        for (int from = 0; from < targets.length; from += rows) {
            int to = Math.min(targets.length, from + rows);
            long[] picks = new long[to - from];
            boolean any = false;
            for (int r = from; r < to; r++) {
                picks[r - from] = targets[r];
                any |= scored[r];
            }
            if (!any) {
                continue;
            }
            float[] picked;
            try (NDManager chunk = hidden.getManager().newSubManager()) { // frees each chunk's [rows, V] arrays
                NDArray logProbs = logProbs(hidden.get(chunk, new NDIndex().addSliceDim(from, to))); // [rows, V]
                picked = logProbs.gather(chunk.create(picks, new Shape(to - from, 1)), 1)
                        .toFloatArray();
            }
            for (int r = from; r < to; r++) {
                if (scored[r]) {
                    result[r] = picked[r - from];
                }
            }
        }
        return result;
    }

    /** {@code Σ log p(targets[r] | rows ≤ r)} over the rows r with {@code scored[r]}; see {@link #targetLogProbs}. */
    double sumLogProbs(NDArray hidden, int[] targets, boolean[] scored) {
        return sum(targetLogProbs(hidden, targets, scored));
    }

    /** As above, projecting {@code rows} positions at a time. */
    double sumLogProbs(NDArray hidden, int[] targets, boolean[] scored, int rows) {
        return sum(targetLogProbs(hidden, targets, scored, rows));
    }

    private static double sum(float[] logProbs) {
        double sum = 0;
        for (float logProb : logProbs) {
            if (!Float.isNaN(logProb)) {
                sum += logProb;
            }
        }
        return sum;
    }

    /** Final norm, vocabulary projection, normalised float32 log-probabilities: [N, H] to [N, V]. */
    private NDArray logProbs(NDArray hidden) {
        NDArray logits = linear(rmsNorm(hidden, weights.norm()), weights.lmHead(), null);
        return logits.toType(DataType.FLOAT32, false).logSoftmax(-1);
    }

    /**
     * Self-attention with grouped key/value heads, input and output [N, H]: the fused q/k/v projection, RoPE on
     * queries and keys, every row's key and value cached, then {@link Attention} over the cache, and the output
     * projection.
     */
    private NDArray attention(
            NDArray h,
            LlamaWeights.Layer layer,
            int layerIndex,
            StepInputs inputs,
            PagedKvCache cache,
            NDManager scope) {
        StepLayout layout = inputs.layout();
        int rows = layout.rows();
        int queryHeads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        NDArray qkv =
                linear(h, layer.qkvProj(), layer.qkvBias()).reshape(rows, queryHeads + 2 * kvHeads, config.headDim());
        // Rotate queries and keys together: they sit side by side in the fused projection.
        NDList qkAndV = qkv.split(new long[] {queryHeads + kvHeads}, 1);
        NDList qAndK = RotaryEmbedding.apply(qkAndV.get(0), inputs.rotations()).split(new long[] {queryHeads}, 1);
        NDArray q = qAndK.get(0); // [N, Q, D]; rows already carry the 1/sqrt(D) scale (folded into q_proj at load)
        cache.write(layerIndex, inputs.cacheRows(), qAndK.get(1), qkAndV.get(1));
        NDArray context = attention.attend(q, layerIndex, inputs, cache, scope);
        return linear(context, layer.oProj(), layer.oProjBias());
    }

    /** SwiGLU: down(silu(gate(h)) * up(h)). [T, H] to [T, H]. */
    private NDArray mlp(NDArray h, LlamaWeights.Layer layer) {
        NDArray gate = linear(h, layer.gateProj(), null);
        NDArray silu = gate.mul(Activation.sigmoid(gate));
        return linear(silu.mul(linear(h, layer.upProj(), null)), layer.downProj(), null);
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * weight, the mean taken in float32 as transformers does. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(rmsNormEps).sqrt();
        NDArray normalized = x32.div(rms);
        return (type == DataType.FLOAT32 ? normalized : normalized.toType(type, false)).mul(weight);
    }

    /**
     * torch's F.linear: x @ w^T (+ b) without materialising the transpose; {@code bias} may be null. Large dense
     * weights are multiplied on two cores when a {@link RowSplit} is set; packed ones by their kernel.
     */
    private NDArray linear(NDArray x, Projection weight, NDArray bias) {
        RowSplit split = rowSplit;
        if (split != null && weight instanceof DenseProjection dense) {
            return split.linear(x, dense.weight(), bias);
        }
        if (split != null && weight instanceof SplitProjection halves) {
            return split.both(x, halves, bias);
        }
        return weight.apply(x, bias);
    }

    /** Lets large matmuls run on two threads (see {@link RowSplit}); set once, before the first step. */
    void splitRowsWith(RowSplit split) {
        this.rowSplit = split;
    }

    /**
     * Whether every layer's linear weights are packed (bf16, int8, int4), so that {@link #fuseDecodeWith} applies:
     * dense float32 ones keep the op-by-op path, whose row split multiplies them on two cores in MKL's fastest order
     * for each shape.
     */
    boolean canFuseDecode() {
        return weights.layers().stream().allMatch(layer -> FusedDecode.packedOnly(projections(layer)));
    }

    private static FusedDecode.Projections projections(LlamaWeights.Layer layer) {
        return new FusedDecode.Projections(
                layer.qkvProj(), layer.oProj(), layer.gateProj(), layer.upProj(), layer.downProj());
    }

    /** Whether decode steps run a layer a call. */
    boolean decodesFused() {
        return fusedLayers != null;
    }

    /** Steps that ran a layer a call so far. */
    long fusedSteps() {
        return fusedSteps;
    }

    /** Whether some linear weight is held in two halves (see {@link SplitProjection}). */
    boolean heldInHalves() {
        return weights.layers().stream()
                .flatMap(layer -> projections(layer).inOrder().stream())
                .anyMatch(SplitProjection.class::isInstance);
    }

    /** Runs decode steps a layer a call through {@code kernel}; set once, before the first step. */
    void fuseDecodeWith(FusedDecode kernel) {
        if (!canFuseDecode()) {
            throw new IllegalStateException("a decoder with dense weights runs its decode steps op by op");
        }
        List<FusedDecode.LayerWeights> layers = new ArrayList<>();
        for (LlamaWeights.Layer layer : weights.layers()) {
            layers.add(kernel.weights(
                    projections(layer),
                    layer.inputLayernorm(),
                    layer.postAttentionLayernorm(),
                    layer.qkvBias(),
                    layer.oProjBias(),
                    config.numAttentionHeads(),
                    config.numKeyValueHeads(),
                    config.headDim(),
                    config.rmsNormEps()));
        }
        this.fused = kernel;
        this.fusedLayers = layers.toArray(FusedDecode.LayerWeights[]::new);
    }
}
