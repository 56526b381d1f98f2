package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import io.tributary.model.kernel.DenseEmbedding;
import io.tributary.model.kernel.DenseProjection;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.TokenEmbedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * All weights of a Llama decoder, loaded by checkpoint name. Shapes use the config's names: H = hidden_size,
 * V = vocab_size, I = intermediate_size, D = head_dim, Q = num_attention_heads, K = num_key_value_heads.
 *
 * @param embedTokens {@code model.embed_tokens.weight} [V, H]
 * @param layers      {@code model.layers.N.*}, in order
 * @param norm        {@code model.norm.weight} [H]
 * @param lmHead      {@code lm_head.weight} [V, H]; when tied and dense, the same array as {@code embedTokens}
 *
 * <p>The linear layers are {@link Projection}s and the embedding a {@link TokenEmbedding}: dense DJL arrays, or
 * packed into bf16, int8 or int4 at load.
 */
public record LlamaWeights(TokenEmbedding embedTokens, List<Layer> layers, NDArray norm, Projection lmHead) {

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    /**
     * Every distinct array, once: the parameters a trainer updates (a tied output projection is the embedding).
     *
     * @throws IllegalStateException when the linear layers are packed: only dense weights train
     */
    public List<NDArray> parameters() {
        List<NDArray> all = new ArrayList<>();
        NDArray embedding = dense(embedTokens);
        all.add(embedding);
        for (Layer layer : layers) {
            Stream.of(
                            layer.inputLayernorm(),
                            dense(layer.qkvProj()),
                            layer.qkvBias(),
                            dense(layer.oProj()),
                            layer.oProjBias(),
                            layer.postAttentionLayernorm(),
                            dense(layer.gateProj()),
                            dense(layer.upProj()),
                            dense(layer.downProj()))
                    .filter(Objects::nonNull)
                    .forEach(all::add);
        }
        all.add(norm);
        if (dense(lmHead) != embedding) {
            all.add(dense(lmHead));
        }
        return all;
    }

    /**
     * Bytes the weights take as held: every array once (a dense output projection tied to the embedding is not
     * counted twice), packed projections with their scales.
     */
    public long bytes() {
        long total = embedTokens.bytes() + bytes(norm);
        for (Layer layer : layers) {
            total += bytes(layer.inputLayernorm())
                    + bytes(layer.qkvBias())
                    + bytes(layer.oProjBias())
                    + bytes(layer.postAttentionLayernorm());
            for (Projection projection :
                    List.of(layer.qkvProj(), layer.oProj(), layer.gateProj(), layer.upProj(), layer.downProj())) {
                total += projection.bytes();
            }
        }
        boolean shared = lmHead instanceof DenseProjection head
                && embedTokens instanceof DenseEmbedding table
                && head.weight() == table.weight();
        return shared ? total : total + lmHead.bytes();
    }

    private static long bytes(NDArray array) {
        return array == null ? 0 : array.getShape().size() * array.getDataType().getNumOfBytes();
    }

    /** The array of a dense embedding. */
    public static NDArray dense(TokenEmbedding embedding) {
        if (embedding instanceof DenseEmbedding dense) {
            return dense.weight();
        }
        throw new IllegalStateException(
                "the weights are packed into reduced precision: only float weights can be trained or exported");
    }

    /** The array of a dense projection (see {@link DenseProjection#arrayOf}). */
    public static NDArray dense(Projection projection) {
        return DenseProjection.arrayOf(projection);
    }

    /**
     * One decoder layer. The attention projections are fused at load time into one matrix (one op per token instead
     * of three, for a copy of a few percent of the layer); the MLP's, which are most of it, are used as stored, so
     * a mapped checkpoint is not copied.
     *
     * @param inputLayernorm         {@code input_layernorm.weight} [H]
     * @param qkvProj                {@code self_attn.{q,k,v}_proj.weight} stacked: [(Q + 2K) * D, H]; the q rows
     *                               are pre-multiplied by 1/sqrt(D), the attention scale
     * @param qkvBias                {@code self_attn.{q,k,v}_proj.bias} stacked: [(Q + 2K) * D], q part scaled
     *                               likewise; null without {@code attention_bias} (Qwen2 always has it)
     * @param oProj                  {@code self_attn.o_proj.weight} [H, Q * D]
     * @param oProjBias              {@code self_attn.o_proj.bias} [H]; null unless Llama's {@code attention_bias}
     * @param postAttentionLayernorm {@code post_attention_layernorm.weight} [H]
     * @param gateProj               {@code mlp.gate_proj.weight} [I, H]
     * @param upProj                 {@code mlp.up_proj.weight} [I, H]
     * @param downProj               {@code mlp.down_proj.weight} [H, I]
     */
    public record Layer(
            NDArray inputLayernorm,
            Projection qkvProj,
            NDArray qkvBias,
            Projection oProj,
            NDArray oProjBias,
            NDArray postAttentionLayernorm,
            Projection gateProj,
            Projection upProj,
            Projection downProj) {}
}
