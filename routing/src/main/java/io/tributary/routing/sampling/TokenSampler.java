package io.tributary.routing.sampling;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The sampler of one generation: repetition penalty, presence and frequency penalties and logit bias, then greedy
 * choice or temperature, top-k, top-p, typical-p and min-p followed by a seeded draw. Stateful (the random stream
 * and the tokens seen and generated so far), so one per generation.
 */
public final class TokenSampler implements Sampler {

    private final SamplingParams params;
    private final SplittableRandom random;
    private final long seed;
    private final BitSet seen = new BitSet();
    private final Map<Integer, Integer> generated = new HashMap<>(); // token -> times it was generated

    /**
     * @param seed the seed to use when the params name none (the caller draws it, so it can report it)
     */
    public TokenSampler(SamplingParams params, int[] promptTokens, long seed) {
        this.params = params;
        this.seed = params.seed() != null ? params.seed() : seed;
        this.random = new SplittableRandom(this.seed);
        for (int token : promptTokens) {
            seen.set(token);
        }
    }

    /** The seed actually used. */
    public long seed() {
        return seed;
    }

    @Override
    public int sample(float[] logProbs) {
        float[] scores = logProbs.clone();
        applyRepetitionPenalty(scores);
        applyPenalties(scores);
        int token = params.sampling() ? draw(scores) : argmax(scores);
        seen.set(token);
        generated.merge(token, 1, Integer::sum);
        return token;
    }

    /** OpenAI's penalties on what was generated, then the logit bias (see {@link Penalties}). */
    private void applyPenalties(float[] scores) {
        Penalties penalties = params.penalties();
        if (!penalties.any()) {
            return;
        }
        if (penalties.presence() != 0 || penalties.frequency() != 0) {
            generated.forEach((token, count) -> {
                if (token < scores.length) {
                    scores[token] -= (float) (penalties.frequency() * count + penalties.presence());
                }
            });
        }
        penalties.logitBias().forEach((token, bias) -> {
            if (token < scores.length) {
                scores[token] += bias.floatValue();
            }
        });
    }

    private void applyRepetitionPenalty(float[] scores) {
        double penalty = params.repetitionPenalty();
        if (penalty == 1.0) {
            return;
        }
        for (int token = seen.nextSetBit(0); token >= 0 && token < scores.length; token = seen.nextSetBit(token + 1)) {
            scores[token] = (float) (scores[token] < 0 ? scores[token] * penalty : scores[token] / penalty);
        }
    }

    static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return best;
    }

    private int draw(float[] scores) {
        Integer[] order = candidatesByScore(scores);
        int keep = order.length;
        if (params.topK() > 0) {
            keep = Math.min(keep, params.topK());
        }
        double temperature = params.temperature();
        double max = scores[order[0]] / temperature;
        double[] probs = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(scores[order[i]] / temperature - max);
            total += probs[i];
        }
        if (params.topP() < 1.0) {
            // Smallest prefix (by decreasing probability) whose mass reaches top_p; always at least one token.
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < keep && cumulative < params.topP() * total) {
                cumulative += probs[nucleus++];
            }
            keep = Math.max(1, nucleus);
            total = cumulative > 0 ? cumulative : probs[0];
        }
        if (params.typicalP() < 1.0) {
            keep = keepTypical(order, probs, keep, total, params.typicalP());
            total = 0;
            for (int i = 0; i < keep; i++) {
                total += probs[i];
            }
        }
        if (params.minP() > 0) {
            double floor = params.minP() * maxOf(probs, keep);
            int kept = 0;
            total = 0;
            for (int i = 0; i < keep; i++) {
                if (probs[i] >= floor) {
                    order[kept] = order[i];
                    probs[kept] = probs[i];
                    total += probs[i];
                    kept++;
                }
            }
            keep = kept;
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            u -= probs[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[keep - 1]; // rounding left a sliver of mass
    }

    private static double maxOf(double[] values, int count) {
        double max = 0;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, values[i]);
        }
        return max;
    }

    /**
     * Typical sampling (Meister et al.; transformers' TypicalLogitsWarper): orders the first {@code keep}
     * candidates by how far their surprise {@code -log p} is from the entropy, and keeps the fewest of them whose
     * mass reaches {@code typicalP}, at least one. Reorders {@code order} and {@code probs} in place.
     *
     * @return how many candidates remain, now first in {@code order} and {@code probs}
     */
    static int keepTypical(Integer[] order, double[] probs, int keep, double total, double typicalP) {
        double entropy = 0;
        for (int i = 0; i < keep; i++) {
            double p = probs[i] / total;
            entropy -= p > 0 ? p * Math.log(p) : 0;
        }
        double h = entropy;
        Integer[] byTypicality = new Integer[keep];
        for (int i = 0; i < keep; i++) {
            byTypicality[i] = i;
        }
        // Stable: equally typical candidates keep their order by probability.
        Arrays.sort(
                byTypicality,
                (a, b) -> Double.compare(
                        Math.abs(-Math.log(probs[a] / total) - h), Math.abs(-Math.log(probs[b] / total) - h)));
        Integer[] reordered = new Integer[keep];
        double[] reorderedProbs = new double[keep];
        double cumulative = 0;
        int kept = 0;
        while (kept < keep && (kept == 0 || cumulative < typicalP * total)) {
            int i = byTypicality[kept];
            reordered[kept] = order[i];
            reorderedProbs[kept] = probs[i];
            cumulative += probs[i];
            kept++;
        }
        System.arraycopy(reordered, 0, order, 0, kept);
        System.arraycopy(reorderedProbs, 0, probs, 0, kept);
        return kept;
    }

    private static Integer[] candidatesByScore(float[] scores) {
        Integer[] order = new Integer[scores.length];
        int n = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != Float.NEGATIVE_INFINITY) {
                order[n++] = i;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("the distribution has no token with positive probability");
        }
        order = Arrays.copyOf(order, n);
        // Stable sort: ties keep token-id order, so a seed reproduces the same draw.
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        return order;
    }
}
