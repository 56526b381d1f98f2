package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** A weight held as a DJL array in the activations' type (float32, or float16 on a GPU). */
public record DenseProjection(NDArray weight) implements Projection {

    /**
     * The array of a dense projection.
     *
     * @throws IllegalStateException when it is packed: only dense weights can be trained or exported
     */
    public static NDArray arrayOf(Projection projection) {
        if (projection instanceof DenseProjection dense) {
            return dense.weight();
        }
        throw new IllegalStateException(
                "the weights are packed into reduced precision: only float weights can be trained or exported");
    }

    @Override
    public NDArray apply(NDArray x, NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public long outFeatures() {
        return weight.getShape().get(0);
    }

    @Override
    public long inFeatures() {
        return weight.getShape().get(1);
    }

    @Override
    public long bytes() {
        return weight.getShape().size() * weight.getDataType().getNumOfBytes();
    }
}
