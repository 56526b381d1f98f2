package io.tributary.tools.train;

/**
 * Linear warm-up to {@code peak} over {@code warmupSteps}, then cosine decay to {@code peak * floor} at
 * {@code totalSteps}: the schedule small transformers are usually trained with.
 */
public record LearningRate(double peak, int warmupSteps, int totalSteps, double floor) {

    public LearningRate {
        if (peak <= 0 || warmupSteps < 0 || totalSteps <= 0 || floor < 0 || floor > 1) {
            throw new IllegalArgumentException("learning rate needs peak > 0, warm-up ≥ 0, total > 0, floor in [0, 1]");
        }
    }

    /** The rate of step {@code step}, counted from 0. */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double progress = Math.min(1, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return peak * (floor + (1 - floor) * cosine);
    }
}
