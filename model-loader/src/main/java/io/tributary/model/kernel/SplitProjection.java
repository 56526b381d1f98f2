package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;

/**
 * A large packed weight held as two halves of its output rows, so that two threads can each stream one half:
 * one core does not read memory as fast as two (see the decoder's row split). Applied here, the halves run one
 * after the other; the decoder runs them on two threads when it can.
 */
public record SplitProjection(Projection top, Projection bottom) implements Projection {

    @Override
    public NDArray apply(NDArray x, NDArray bias) {
        return join(top.apply(x, null), bottom.apply(x, null), bias);
    }

    /** The two halves' products side by side, plus the whole weight's bias. */
    public static NDArray join(NDArray top, NDArray bottom, NDArray bias) {
        NDArray joined = top.concat(bottom, -1);
        return bias == null ? joined : joined.add(bias);
    }

    @Override
    public long outFeatures() {
        return top.outFeatures() + bottom.outFeatures();
    }

    @Override
    public long inFeatures() {
        return top.inFeatures();
    }

    @Override
    public long bytes() {
        return top.bytes() + bottom.bytes();
    }
}
