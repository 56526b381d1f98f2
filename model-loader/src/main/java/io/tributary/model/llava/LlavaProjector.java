package io.tributary.model.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.checkpoint.WeightExport;
import io.tributary.model.clip.HiddenAct;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * LLaVA's multi-modal projector: {@code linear_2(act(linear_1(features)))}, image features of width F (vision
 * hidden size times feature layers) into the decoder's width H. Weights by canonical name:
 *
 * @param linear1 {@code multi_modal_projector.linear_1.weight} [H, F]
 * @param bias1   {@code multi_modal_projector.linear_1.bias} [H]; null without {@code multimodal_projector_bias}
 * @param linear2 {@code multi_modal_projector.linear_2.weight} [H, H]
 * @param bias2   {@code multi_modal_projector.linear_2.bias} [H]; null likewise
 */
record LlavaProjector(HiddenAct act, NDArray linear1, NDArray bias1, NDArray linear2, NDArray bias2) {

    static final String PREFIX = "multi_modal_projector.";

    static Map<String, long[]> expectedShapes(LlavaConfig c) {
        long hidden = c.text().hiddenSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(PREFIX + "linear_1.weight", new long[] {hidden, c.featureWidth()});
        if (c.projectorBias()) {
            shapes.put(PREFIX + "linear_1.bias", new long[] {hidden});
        }
        shapes.put(PREFIX + "linear_2.weight", new long[] {hidden, hidden});
        if (c.projectorBias()) {
            shapes.put(PREFIX + "linear_2.bias", new long[] {hidden});
        }
        return shapes;
    }

    static LlavaProjector load(CheckpointTensors tensors, LlavaConfig c, NDManager manager, DataType dataType) {
        boolean bias = c.projectorBias();
        return new LlavaProjector(
                c.projectorHiddenAct(),
                tensors.load(PREFIX + "linear_1.weight", manager, dataType),
                bias ? tensors.load(PREFIX + "linear_1.bias", manager, dataType) : null,
                tensors.load(PREFIX + "linear_2.weight", manager, dataType),
                bias ? tensors.load(PREFIX + "linear_2.bias", manager, dataType) : null);
    }

    /** Every weight array, once: what a trainer updates in place. */
    List<NDArray> parameters() {
        return Stream.of(linear1, bias1, linear2, bias2)
                .filter(Objects::nonNull)
                .toList();
    }

    /** The weights as checkpoint tensors under their canonical names. */
    List<Tensor> checkpointTensors() {
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(WeightExport.tensor(PREFIX + "linear_1.weight", linear1));
        if (bias1 != null) {
            tensors.add(WeightExport.tensor(PREFIX + "linear_1.bias", bias1));
        }
        tensors.add(WeightExport.tensor(PREFIX + "linear_2.weight", linear2));
        if (bias2 != null) {
            tensors.add(WeightExport.tensor(PREFIX + "linear_2.bias", bias2));
        }
        return tensors;
    }

    /** [..., F] image features to [..., H] decoder embeddings. */
    NDArray project(NDArray features) {
        NDArray hidden = act.apply(Linear.linear(features, linear1, bias1).singletonOrThrow());
        return Linear.linear(hidden, linear2, bias2).singletonOrThrow();
    }
}
