package io.tributary.routing.testing;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An expert that is 90% sure of the next token of a script (indexed by how many tokens it was fed after the
 * prompt). It can be told to block on a latch or to fail at a given step, to exercise the scheduler.
 */
public final class ScriptedExpert implements Expert {

    private final int[] script;
    private final int vocabularySize;
    private volatile CountDownLatch gate;
    private volatile int gateFromStep;
    private volatile int failAtStep = -1;
    public volatile int openSessions;

    public ScriptedExpert(int vocabularySize, int... script) {
        this.vocabularySize = vocabularySize;
        this.script = script.clone();
    }

    /** Every forward pass waits until the latch opens. */
    public ScriptedExpert blockedBy(CountDownLatch latch) {
        return blockedFromStep(0, latch);
    }

    /** Forward passes from the given step on (0 = the first token) wait until the latch opens. */
    public ScriptedExpert blockedFromStep(int step, CountDownLatch latch) {
        this.gateFromStep = step;
        this.gate = latch;
        return this;
    }

    public ScriptedExpert failingAtStep(int step) {
        this.failAtStep = step;
        return this;
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    @Override
    public synchronized ExpertSession open(Prompt prompt) {
        openSessions++;
        int promptLength = prompt.length();
        return new ExpertSession() {
            private int length = promptLength;
            private boolean closed;

            @Override
            public float[] nextLogProbs() {
                int step = length - promptLength;
                if (step >= gateFromStep) {
                    awaitGate();
                }
                if (step == failAtStep) {
                    throw new IllegalStateException("scripted failure at step " + step);
                }
                float[] logProbs = new float[vocabularySize];
                Arrays.fill(logProbs, (float) Math.log(0.1 / (vocabularySize - 1)));
                logProbs[script[Math.min(step, script.length - 1)]] = (float) Math.log(0.9);
                return logProbs;
            }

            @Override
            public void append(int tokenId) {
                length++;
            }

            @Override
            public int length() {
                return length;
            }

            @Override
            public void close() {
                synchronized (ScriptedExpert.this) {
                    if (!closed) {
                        closed = true;
                        openSessions--;
                    }
                }
            }
        };
    }

    private void awaitGate() {
        CountDownLatch latch = gate;
        if (latch == null) {
            return;
        }
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {}
}
