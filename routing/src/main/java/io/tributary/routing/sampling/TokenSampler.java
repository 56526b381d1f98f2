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
        double temperature = params.temperature();
        double max = maxScore(scores) / temperature;
        boolean nucleusOfAll = params.topP() < 1.0 && params.topK() == 0;
        double mass = nucleusOfAll ? massOf(scores, temperature, max) : 0; // what top-p takes its share of
        int[] order = candidates(scores, temperature, max, mass);
        int keep = order.length;
        double[] probs = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(scores[order[i]] / temperature - max);
            total += probs[i];
        }
        if (params.topP() < 1.0) {
            // Smallest prefix (by decreasing probability) whose mass reaches top_p of what top-k left, or of all;
            // always at least one token.
            if (!nucleusOfAll) {
                mass = total;
            }
            double cumulative = 0;
            int nucleus = 0;
            while (nucleus < keep && cumulative < params.topP() * mass) {
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
    static int keepTypical(int[] order, double[] probs, int keep, double total, double typicalP) {
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
        int[] reordered = new int[keep];
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

    /**
     * The tokens the warpers read, most likely first (ties by id, so that a seed reproduces a draw): top-k's k,
     * typical-p's every token, top-p's most likely ones until they hold its mass; with no warper, every token that
     * can be drawn, in id order. Sorting only what is read keeps a 150k-token vocabulary cheap.
     */
    private int[] candidates(float[] scores, double temperature, double max, double mass) {
        if (params.topK() > 0) {
            int[] best = sortedFrom(scores, kthLargest(scores, params.topK()));
            return best.length > params.topK() ? Arrays.copyOf(best, params.topK()) : best;
        }
        if (params.typicalP() < 1.0) {
            return sortedFrom(scores, -Float.MAX_VALUE);
        }
        if (params.topP() < 1.0) {
            double target = params.topP() * mass;
            // Widen a score window below the best until the tokens in it hold top_p's mass.
            for (double width = 16 * temperature; ; width *= 4) {
                float floor = (float) (max * temperature - width);
                int[] head = sortedFrom(scores, floor);
                if (massOf(scores, head, temperature, max) >= target || floor < -Float.MAX_VALUE / 2) {
                    return head.length > 0 ? head : sortedFrom(scores, -Float.MAX_VALUE);
                }
            }
        }
        int[] all = new int[scores.length];
        int n = 0;
        for (int token = 0; token < scores.length; token++) {
            if (scores[token] != Float.NEGATIVE_INFINITY) {
                all[n++] = token;
            }
        }
        return Arrays.copyOf(all, n);
    }

    private static float maxScore(float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float score : scores) {
            max = Math.max(max, score);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("the distribution has no token with positive probability");
        }
        return max;
    }

    /** Every token's probability at {@code temperature}, unnormalised (the best one's is 1). */
    private static double massOf(float[] scores, double temperature, double max) {
        double mass = 0;
        for (float score : scores) {
            mass += Math.exp(score / temperature - max);
        }
        return mass;
    }

    private static double massOf(float[] scores, int[] tokens, double temperature, double max) {
        double mass = 0;
        for (int token : tokens) {
            mass += Math.exp(scores[token] / temperature - max);
        }
        return mass;
    }

    /** The k-th largest finite score (by a heap of k), or the lowest finite one when fewer tokens can be drawn. */
    static float kthLargest(float[] scores, int k) {
        float[] heap = new float[k]; // a min-heap of the k largest so far
        int size = 0;
        for (float score : scores) {
            if (score == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (size < k) {
                heap[size] = score;
                for (int i = size++; i > 0 && heap[(i - 1) / 2] > heap[i]; i = (i - 1) / 2) {
                    float swap = heap[i];
                    heap[i] = heap[(i - 1) / 2];
                    heap[(i - 1) / 2] = swap;
                }
            } else if (score > heap[0]) {
                heap[0] = score;
                for (int i = 0; ; ) {
                    int smallest = i;
                    for (int child = 2 * i + 1; child <= 2 * i + 2 && child < k; child++) {
                        if (heap[child] < heap[smallest]) {
                            smallest = child;
                        }
                    }
                    if (smallest == i) {
                        break;
                    }
                    float swap = heap[i];
                    heap[i] = heap[smallest];
                    heap[smallest] = swap;
                    i = smallest;
                }
            }
        }
        return size == 0 ? Float.NEGATIVE_INFINITY : heap[0];
    }

    /** The finite tokens scoring at least {@code floor}, highest first, ties by id. */
    static int[] sortedFrom(float[] scores, float floor) {
        long[] keys = new long[scores.length];
        int n = 0;
        for (int token = 0; token < scores.length; token++) {
            float score = scores[token];
            if (score >= floor && score != Float.NEGATIVE_INFINITY) {
                int bits = Float.floatToIntBits(score);
                int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // orders as the floats do
                keys[n++] = ((long) ~ascending << 32) | token; // ascending keys: highest score first, then id
            }
        }
        Arrays.sort(keys, 0, n);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = (int) keys[i];
        }
        return tokens;
    }
}
