package io.tributary.tools.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), updating parameters in place from the gradients the
 * last backward pass left on them, after clipping their global norm. Moments live in a manager of their own,
 * freed with the optimiser; no array is created per step that outlives the step.
 */
public final class AdamW implements AutoCloseable {

    private final List<NDArray> parameters;
    private final NDManager manager;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final Settings settings;
    private int steps;

    /**
     * @param beta1        decay of the gradient's running mean
     * @param beta2        decay of the squared gradient's running mean
     * @param epsilon      added to the root of the second moment
     * @param weightDecay  fraction of each weight removed per unit of learning rate (not applied to 1-d arrays:
     *                     norms and biases, as is usual)
     * @param maxGradNorm  the gradients' global L2 norm is scaled down to this when above it
     */
    public record Settings(double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm) {
        public static Settings defaults() {
            return new Settings(0.9, 0.98, 1e-8, 0.01, 1.0);
        }
    }

    public AdamW(List<NDArray> parameters, Settings settings, NDManager parent) {
        this.parameters = List.copyOf(parameters);
        this.settings = settings;
        this.manager = parent.newSubManager();
        for (NDArray parameter : this.parameters) {
            firstMoments.add(manager.zeros(parameter.getShape(), parameter.getDataType()));
            secondMoments.add(manager.zeros(parameter.getShape(), parameter.getDataType()));
        }
    }

    /**
     * One update at learning rate {@code rate}, then the gradients are zeroed for the next backward pass. Run with
     * autograd off (outside a gradient collector): the updates are in place on the parameters.
     *
     * @return the gradients' global L2 norm before clipping
     * @throws IllegalStateException when a gradient is not finite; the parameters are left as they were
     */
    public double step(double rate) {
        steps++;
        try (NDManager scope = manager.newSubManager()) {
            List<NDArray> gradients = new ArrayList<>(parameters.size());
            double squares = 0;
            for (NDArray parameter : parameters) {
                NDArray gradient = parameter.getGradient();
                gradient.attach(scope);
                gradients.add(gradient);
                squares += gradient.square().sum().getFloat();
            }
            double norm = Math.sqrt(squares);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException("the gradients are not finite at step " + steps
                        + ": training diverged (try a lower learning rate)");
            }
            double clip = norm > settings.maxGradNorm() ? settings.maxGradNorm() / norm : 1;
            double correction1 = 1 - Math.pow(settings.beta1(), steps);
            double correction2 = 1 - Math.pow(settings.beta2(), steps);
            for (int i = 0; i < parameters.size(); i++) {
                NDArray parameter = parameters.get(i);
                NDArray gradient = gradients.get(i).mul(clip);
                NDArray m = firstMoments.get(i).muli(settings.beta1()).addi(gradient.mul(1 - settings.beta1()));
                NDArray v = secondMoments
                        .get(i)
                        .muli(settings.beta2())
                        .addi(gradient.square().muli(1 - settings.beta2()));
                NDArray update =
                        m.div(correction1).divi(v.div(correction2).sqrt().addi(settings.epsilon()));
                if (parameter.getShape().dimension() > 1 && settings.weightDecay() > 0) {
                    update.addi(parameter.mul(settings.weightDecay()));
                }
                parameter.subi(update.muli(rate));
                gradients.get(i).muli(0); // the gradient array is the parameter's own: zero it for the next pass
            }
            return norm;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
