package io.tributary.routing.testing;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic stand-in for a model: its next-token distribution is a pseudo-random function of its seed
 * and the whole context, so two experts disagree, the same context always gives the same answer, and a session
 * that loses a token gives a different answer. It counts what it is asked to do.
 */
public final class FakeExpert implements Expert {

    private final String name;
    private final int vocabularySize;
    private final long seed;
    public final AtomicInteger sessionsOpened = new AtomicInteger();
    public final AtomicInteger sessionsClosed = new AtomicInteger();
    public final AtomicInteger forwardCalls = new AtomicInteger();
    public final AtomicInteger promptScorings = new AtomicInteger();
    public final List<int[]> openedWith = new ArrayList<>();

    public FakeExpert(String name, int vocabularySize, long seed) {
        this.name = name;
        this.vocabularySize = vocabularySize;
        this.seed = seed;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    /** The distribution this expert gives after {@code context}, computed from scratch. */
    public float[] logProbsAfter(int[] context) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + Arrays.hashCode(context));
        double[] logits = new double[vocabularySize];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabularySize; i++) {
            logits[i] = 3 * random.nextGaussian();
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (double logit : logits) {
            sum += Math.exp(logit - max);
        }
        double logZ = max + Math.log(sum);
        float[] logProbs = new float[vocabularySize];
        for (int i = 0; i < vocabularySize; i++) {
            logProbs[i] = (float) (logits[i] - logZ);
        }
        return logProbs;
    }

    /** {@code Σ_{t>0} log p(x_t | x_<t)}: how likely this expert finds the whole sequence after its first token. */
    public double logLikelihood(int[] sequence) {
        double total = 0;
        for (int t = 1; t < sequence.length; t++) {
            total += logProbsAfter(Arrays.copyOf(sequence, t))[sequence[t]];
        }
        return total;
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        sessionsOpened.incrementAndGet();
        synchronized (openedWith) {
            openedWith.add(prompt.tokenIds());
        }
        return new Session(prompt.tokenIds());
    }

    public int openSessions() {
        return sessionsOpened.get() - sessionsClosed.get();
    }

    @Override
    public void close() {
    }

    private final class Session implements ExpertSession {
        private int[] context;
        private boolean closed;

        Session(int[] prompt) {
            this.context = prompt;
        }

        @Override
        public float[] nextLogProbs() {
            if (closed) {
                throw new IllegalStateException("session closed");
            }
            forwardCalls.incrementAndGet();
            return logProbsAfter(context);
        }

        @Override
        public double promptLogLikelihood() {
            promptScorings.incrementAndGet();
            return logLikelihood(context);
        }

        @Override
        public void append(int tokenId) {
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = tokenId;
        }

        @Override
        public int length() {
            return context.length;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                sessionsClosed.incrementAndGet();
            }
        }
    }
}
