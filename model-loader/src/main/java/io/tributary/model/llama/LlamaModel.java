package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.tributary.model.checkpoint.CheckpointTensors;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Llama decoder forward pass (transformers' {@code LlamaForCausalLM}, and {@code Qwen2ForCausalLM}, which adds
 * q/k/v biases), one step at a time: a step feeds T new positions at {@code [start, start + T)}, appends their keys
 * and values to the session's cache and returns the hidden states the output head reads. Prefill is a step with
 * T = prompt length, fed token embeddings or, for a vision-language model, embeddings with image features spliced
 * in.
 *
 * <p>Every intermediate array is created in the caller's {@code step} manager: results attach to the manager of
 * an op's first operand, so activations always come first and weights second, and nothing leaks into the
 * weights' manager.
 */
public final class LlamaModel {

    /** Logits computed at once when scoring a prompt: 4 Mi floats (16 MB), 128 rows of a 32k vocabulary. */
    static final int LOGITS_PER_CHUNK = 1 << 22;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    private final NDArray rmsNormEps; // [1] float32: a tensor operand dispatches faster than a Java scalar

    LlamaModel(LlamaConfig config, LlamaWeights weights, RotaryEmbedding rope, NDManager manager) {
        this.config = config;
        this.weights = weights;
        this.rope = rope;
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

    /** Loads the decoder's weights (already validated) into {@code manager}, which owns them. */
    public static LlamaModel load(CheckpointTensors tensors, LlamaConfig config, NDManager manager,
            DataType dataType) {
        boolean tied = LlamaWeightsLoader.tied(tensors, config);
        LlamaWeights weights = LlamaWeightsLoader.load(tensors, config, tied, manager, dataType);
        return new LlamaModel(config, weights, new RotaryEmbedding(config, manager, dataType), manager);
    }

    public LlamaConfig config() {
        return config;
    }

    /** The embedding rows of {@code tokens}: [T, H] in the weights' type, owned by {@code step}. */
    public NDArray embedTokens(int[] tokens, NDManager step) {
        NDArray ids = step.create(Arrays.stream(tokens).asLongStream().toArray());
        return Embedding.embedding(ids, weights.embedTokens(), SparseFormat.DENSE).singletonOrThrow();
    }

    /** Token ids in, log-probabilities [1, V] of the next token out: one decoding step. */
    NDArray forward(int[] tokens, int start, KvCache cache, NDManager step) {
        return lastLogProbs(hiddenStates(embedTokens(tokens, step), start, cache, step));
    }

    /**
     * Runs T positions through every decoder layer, caching their keys and values.
     *
     * @param x [T, H] input embeddings of positions {@code [start, start + T)}, in the weights' type
     * @return [T, H] the residual stream after the last layer (before the final norm)
     */
    NDArray hiddenStates(NDArray x, int start, KvCache cache, NDManager step) {
        int length = (int) x.getShape().get(0);
        RotaryEmbedding.Angles angles = rope.angles(start, length, step);
        NDArray mask = length > 1 ? causalMask(start, length, step) : null;
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
                x = x.add(attention(h, layer, i, start, angles, mask, cache, scope));
                x = x.add(mlp(rmsNorm(x, layer.postAttentionLayernorm()), layer));
                x.attach(step);
            }
        }
        return x;
    }

    /** Float32 log-probabilities [1, V] of the token after the last position of {@code hidden} [T, H]. */
    NDArray lastLogProbs(NDArray hidden) {
        long length = hidden.getShape().get(0);
        // Only the last position predicts the next token: skip the vocabulary projection for the others.
        NDArray last = length > 1 ? hidden.get(new NDIndex().addSliceDim(length - 1, length)) : hidden; // [1, H]
        return logProbs(last);
    }

    /**
     * {@code Σ log p(tokens[t] | positions < t)} over the positions t with {@code scored[t]} (t ≥ 1), from the
     * prefill's hidden states [T, H]. The vocabulary projection runs over chunks of rows, so a long prompt never
     * holds [T, V] logits at once.
     */
    double sumLogProbs(NDArray hidden, int[] tokens, boolean[] scored) {
        return sumLogProbs(hidden, tokens, scored, Math.max(1, LOGITS_PER_CHUNK / config.vocabSize()));
    }

    /** As above, projecting {@code rows} positions at a time. */
    double sumLogProbs(NDArray hidden, int[] tokens, boolean[] scored, int rows) {
        int length = tokens.length;
        double sum = 0;
        // Row r predicts token r + 1.
        for (int from = 0; from < length - 1; from += rows) {
            int to = Math.min(length - 1, from + rows);
            long[] targets = new long[to - from];
            boolean any = false;
            for (int r = from; r < to; r++) {
                targets[r - from] = tokens[r + 1];
                any |= scored[r + 1];
            }
            if (!any) {
                continue;
            }
            float[] picked;
            try (NDManager chunk = hidden.getManager().newSubManager()) { // frees each chunk's [rows, V] arrays
                NDArray logProbs = logProbs(hidden.get(chunk, new NDIndex().addSliceDim(from, to))); // [rows, V]
                picked = logProbs.gather(chunk.create(targets, new Shape(to - from, 1)), 1).toFloatArray();
            }
            for (int r = from; r < to; r++) {
                if (scored[r + 1]) {
                    sum += picked[r - from];
                }
            }
        }
        return sum;
    }

    /** Final norm, vocabulary projection, normalised float32 log-probabilities: [N, H] to [N, V]. */
    private NDArray logProbs(NDArray hidden) {
        NDArray logits = linear(rmsNorm(hidden, weights.norm()), weights.lmHead(), null);
        return logits.toType(DataType.FLOAT32, false).logSoftmax(-1);
    }

    /** Self-attention with grouped key/value heads over everything cached so far. Input and output [T, H]. */
    private NDArray attention(NDArray h, LlamaWeights.Layer layer, int layerIndex, int start,
            RotaryEmbedding.Angles angles, NDArray mask, KvCache cache, NDManager step) {
        int length = (int) h.getShape().get(0);
        int queryHeads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        NDArray qkv = linear(h, layer.qkvProj(), layer.qkvBias())
                .reshape(length, queryHeads + 2 * kvHeads, config.headDim());
        // Rotate queries and keys together: they sit side by side in the fused projection.
        NDList qkAndV = qkv.split(new long[] {queryHeads + kvHeads}, 1);
        NDList qAndK = rope.apply(qkAndV.get(0), angles).split(new long[] {queryHeads}, 1);
        NDArray q = qAndK.get(0); // [T, Q, D]
        cache.write(layerIndex, start, qAndK.get(1), qkAndV.get(1)); // keys and values [T, K, D]
        int context = start + length;
        NDArray keys = cache.keys(layerIndex, context, step).transpose(1, 2, 0);     // [K, D, S]
        NDArray values = cache.values(layerIndex, context, step).transpose(1, 0, 2); // [K, S, D]
        // q rows already carry the 1/sqrt(D) scale (folded into q_proj at load).
        NDArray scores = groupByKeyValueHead(q, length).matMul(keys); // [K, G*T, S]
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray context3 = scores.softmax(-1).matMul(values); // [K, G*T, D]
        return linear(ungroup(context3, length), layer.oProj(), layer.oProjBias());
    }

    /**
     * [T, Q, D] to [K, G*T, D], G = Q/K: query head {@code j*G + g} reads key/value head j (transformers'
     * {@code repeat_kv} order), so one batched matmul per kv head serves its whole group without copying keys.
     */
    private NDArray groupByKeyValueHead(NDArray q, int length) {
        int kvHeads = config.numKeyValueHeads();
        int group = config.queriesPerKeyValueHead();
        if (length == 1) {
            return q.reshape(kvHeads, group, config.headDim()); // decode: already in order, skip the transpose
        }
        return q.reshape(length, kvHeads, group, config.headDim()).transpose(1, 2, 0, 3)
                .reshape(kvHeads, (long) group * length, config.headDim());
    }

    /** Inverse of {@link #groupByKeyValueHead}, flattening heads: [K, G*T, D] to [T, Q*D]. */
    private NDArray ungroup(NDArray context, int length) {
        long width = (long) config.numAttentionHeads() * config.headDim();
        if (length == 1) {
            return context.reshape(1, width);
        }
        return context.reshape(config.numKeyValueHeads(), config.queriesPerKeyValueHead(), length, config.headDim())
                .transpose(2, 0, 1, 3).reshape(length, width);
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

    /** torch's F.linear: x @ w^T (+ b) without materialising the transpose; {@code bias} may be null. */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * Additive mask [G*T, S] for T new queries at positions {@code start..}: query t sees keys up to position
     * {@code start + t}. Rows repeat for each of the G query heads that share a kv head (see grouping).
     */
    private NDArray causalMask(int start, int length, NDManager step) {
        int group = config.queriesPerKeyValueHead();
        int context = start + length;
        float[] mask = new float[group * length * context];
        for (int g = 0; g < group; g++) {
            for (int t = 0; t < length; t++) {
                int row = (g * length + t) * context;
                Arrays.fill(mask, row + start + t + 1, row + context, Float.NEGATIVE_INFINITY);
            }
        }
        NDArray floats = step.create(mask, new Shape((long) group * length, context));
        DataType type = weights.norm().getDataType();
        return type == DataType.FLOAT32 ? floats : floats.toType(type, false);
    }
}
