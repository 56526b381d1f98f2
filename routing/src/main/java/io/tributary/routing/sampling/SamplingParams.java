package io.tributary.routing.sampling;

/**
 * How the next token is drawn from the mixed distribution, with text-generation-inference's semantics:
 * sampling happens when {@code doSample} is set or any warper (temperature ≠ 1, top-k, top-p, typical-p) is; otherwise
 * decoding is greedy.
 *
 * @param temperature       divides the log-probabilities; {@code > 0}
 * @param topK              keep only the k most likely tokens; 0 disables
 * @param topP              keep the smallest set of tokens whose probability reaches p; 1 disables
 * @param repetitionPenalty CTRL-style penalty on tokens already in the context; 1 disables
 * @param seed              random seed; {@code null} draws one (reported back so a run can be repeated)
 * @param typicalP          typical sampling: keep the tokens whose surprise is closest to the distribution's
 *                          entropy, until their probability reaches p; 1 disables
 * @param minP              keep only the tokens at least this fraction as likely as the most likely one (vLLM's
 *                          {@code min_p}, after temperature); 0 disables
 * @param penalties         presence and frequency penalties and logit bias, applied before any choice
 */
public record SamplingParams(
        boolean doSample,
        double temperature,
        int topK,
        double topP,
        double repetitionPenalty,
        Long seed,
        double typicalP,
        double minP,
        Penalties penalties) {

    public static final SamplingParams GREEDY = new SamplingParams(false, 1.0, 0, 1.0, 1.0, null);

    public SamplingParams(
            boolean doSample, double temperature, int topK, double topP, double repetitionPenalty, Long seed) {
        this(doSample, temperature, topK, topP, repetitionPenalty, seed, 1.0);
    }

    public SamplingParams(
            boolean doSample,
            double temperature,
            int topK,
            double topP,
            double repetitionPenalty,
            Long seed,
            double typicalP) {
        this(doSample, temperature, topK, topP, repetitionPenalty, seed, typicalP, 0, Penalties.NONE);
    }

    public SamplingParams {
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be strictly positive, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be positive or 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be > 0.0 and <= 1.0, got " + topP);
        }
        if (!(typicalP > 0 && typicalP <= 1)) {
            throw new IllegalArgumentException("typical_p must be > 0.0 and <= 1.0, got " + typicalP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p must be between 0 and 1, got " + minP);
        }
        java.util.Objects.requireNonNull(penalties, "penalties");
        if (!(repetitionPenalty > 0) || !Double.isFinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetition_penalty must be strictly positive, got " + repetitionPenalty);
        }
    }

    /** The same parameters drawing from {@code newSeed} ({@code null}: a seed drawn per generation). */
    public SamplingParams withSeed(Long newSeed) {
        return new SamplingParams(
                doSample, temperature, topK, topP, repetitionPenalty, newSeed, typicalP, minP, penalties);
    }

    /** Whether tokens are drawn at random (otherwise the most likely token is taken). */
    public boolean sampling() {
        return doSample || temperature != 1.0 || topK != 0 || topP < 1.0 || typicalP < 1.0 || minP > 0;
    }
}
