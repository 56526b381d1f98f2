package io.tributary.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;

/** The activations vision towers and projectors name in their configs ({@code hidden_act}), as transformers' ACT2FN. */
public enum HiddenAct {
    /** CLIP's {@code x * sigmoid(1.702 x)}. */
    QUICK_GELU("quick_gelu"),
    /** The exact (erf) GELU, {@code x * Φ(x)}: torch's default, and what LLaVA's projector uses. */
    GELU("gelu");

    private static final double SQRT_HALF = Math.sqrt(0.5);
    private final String configName;

    HiddenAct(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** @throws IllegalArgumentException for an activation we do not implement, naming it */
    public static HiddenAct fromConfig(String name) {
        for (HiddenAct act : values()) {
            if (act.configName.equals(name)) {
                return act;
            }
        }
        throw new IllegalArgumentException("activation '" + name + "' is not supported (quick_gelu, gelu)");
    }

    /**
     * The activation of {@code x}. Its constants are arrays of {@code x}'s manager, not Java numbers: the engine
     * wraps a number in a tensor over Java memory that is released right after the op, while autograd keeps the
     * tensor for the backward pass of a multiplication, which would then read freed memory.
     */
    public NDArray apply(NDArray x) {
        NDManager step = x.getManager();
        return switch (this) {
            case QUICK_GELU -> x.mul(Activation.sigmoid(x.mul(step.create(1.702f))));
            // Written out with erf rather than trusting an engine's gelu default, which may be the tanh form.
            case GELU ->
                x.mul(x.mul(step.create((float) SQRT_HALF)).erf().add(step.create(1f)))
                        .mul(step.create(0.5f));
        };
    }
}
