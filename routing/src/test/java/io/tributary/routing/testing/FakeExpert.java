package io.tributary.routing.testing;

import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic stand-in for a model: its next-token distribution is a pseudo-random function of its seed
 * and the whole context, so two experts disagree, the same context always gives the same answer, and a session
 * that loses a token gives a different answer. It counts what it is asked to do.
 *
 * <p>It batches like a real expert: a session's prompt and appended tokens are pending positions until a
 * {@link #forward} runs them (a chunk at a time, if so planned); every batched pass is recorded.
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
    /** The positions of each entry of each batched pass, in order. */
    public final List<List<Integer>> passes = new CopyOnWriteArrayList<>();

    private volatile long kvBytesPerPosition;
    private volatile boolean failingForward;
    private volatile boolean reusesPrefixes;
    private final List<int[]> ran = new CopyOnWriteArrayList<>(); // what closed sessions ran, while reusing prefixes

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

    /** Declares a KV cost per position, for admission tests. */
    public FakeExpert withKvBytesPerPosition(long bytes) {
        this.kvBytesPerPosition = bytes;
        return this;
    }

    /**
     * Sessions start after the longest prefix of their prompt (its last position excepted) that a closed session had
     * run, as a prefix cache would give them, and say so in {@link ExpertSession#cachedPromptPositions()}.
     */
    public FakeExpert reusingPrefixes() {
        this.reusesPrefixes = true;
        return this;
    }

    /** Every batched pass fails, as a broken device would. */
    public FakeExpert failingForward() {
        this.failingForward = true;
        return this;
    }

    @Override
    public long kvBytesPerPosition() {
        return kvBytesPerPosition;
    }

    @Override
    public void forward(ExpertBatch batch) {
        if (failingForward) {
            throw new IllegalStateException("broken forward pass");
        }
        List<Integer> positions = new ArrayList<>();
        for (BatchEntry entry : batch.entries()) {
            Session session = (Session) entry.session();
            if (session.closed || entry.positions() > session.pendingPositions()) {
                throw new IllegalArgumentException("bad batch entry: " + entry.positions() + " of "
                        + session.pendingPositions() + " pending, closed " + session.closed);
            }
            session.computed += entry.positions();
            positions.add(entry.positions());
        }
        passes.add(List.copyOf(positions));
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        sessionsOpened.incrementAndGet();
        synchronized (openedWith) {
            openedWith.add(prompt.tokenIds());
        }
        Session session = new Session(prompt.tokenIds());
        if (reusesPrefixes) {
            for (int[] run : ran) {
                int common = 0;
                while (common < Math.min(run.length, session.context.length - 1)
                        && run[common] == session.context[common]) {
                    common++;
                }
                session.cached = Math.max(session.cached, common);
            }
            session.computed = session.cached;
        }
        return session;
    }

    public int openSessions() {
        return sessionsOpened.get() - sessionsClosed.get();
    }

    @Override
    public void close() {}

    private final class Session implements ExpertSession {
        private int[] context;
        private int computed; // positions a batched pass has run
        private int cached; // prompt positions taken from what closed sessions ran
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
            computed = context.length; // what was pending runs now, alone
            return logProbsAfter(context);
        }

        @Override
        public double promptLogLikelihood() {
            promptScorings.incrementAndGet();
            return logLikelihood(context);
        }

        @Override
        public float[] promptTokenLogProbs() {
            float[] logProbs = new float[context.length];
            logProbs[0] = Float.NaN;
            for (int t = 1; t < context.length; t++) {
                logProbs[t] = logProbsAfter(Arrays.copyOf(context, t))[context[t]];
            }
            return logProbs;
        }

        @Override
        public void append(int tokenId) {
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = tokenId;
        }

        @Override
        public int pendingPositions() {
            return context.length - computed;
        }

        @Override
        public int length() {
            return context.length;
        }

        @Override
        public int cachedPromptPositions() {
            return cached;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (reusesPrefixes) {
                    ran.add(Arrays.copyOf(context, computed));
                }
                sessionsClosed.incrementAndGet();
            }
        }
    }
}
