package io.tributary.remote.client;

import io.tributary.remote.proto.PromptScore;
import io.tributary.remote.proto.StepResult;
import io.tributary.remote.wire.Distributions;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;

import java.util.Arrays;

/**
 * A session held by a remote expert, mirrored here: tokens the mixture appends wait here until the next step
 * carries them, and the last step's answers (distribution, prompt score) are kept for the decode loop to read.
 */
final class RemoteSession implements ExpertSession {

    private final RemoteExpert expert;
    private final long id;
    private int pending;
    private int cachedPromptPositions; // reported by the host with each step
    private int[] appended = new int[4];
    private int appendedCount;
    private int length;
    private float[] next;
    private Double promptLogLikelihood;
    private float[] promptTokenLogProbs;
    private boolean scoringUnsupported;
    private boolean closed;

    RemoteSession(RemoteExpert expert, long id, int promptLength, int pendingPositions) {
        this.expert = expert;
        this.id = id;
        this.length = promptLength;
        // An expert that computes on demand reports nothing pending; its answer still needs a step.
        this.pending = Math.max(1, pendingPositions);
    }

    long id() {
        return id;
    }

    RemoteExpert expert() {
        return expert;
    }

    boolean isClosed() {
        return closed;
    }

    /** Tokens appended since the last step; cleared only once a step carried them. */
    int[] appendedTokens() {
        return Arrays.copyOf(appended, appendedCount);
    }

    /** What a step answered for this session: positions left, and the distribution and prompt score when done. */
    void stepped(StepResult result, int vocabularySize) {
        appendedCount = 0;
        pending = result.getPendingPositions();
        cachedPromptPositions = result.getCachedPromptPositions();
        if (pending == 0) {
            next = Distributions.decode(result.getNext(), vocabularySize);
        }
        if (result.hasPromptScore()) {
            PromptScore score = result.getPromptScore();
            if (score.getSupported()) {
                promptLogLikelihood = score.getLogLikelihood();
                promptTokenLogProbs = new float[score.getTokenLogProbsCount()];
                for (int t = 0; t < promptTokenLogProbs.length; t++) {
                    promptTokenLogProbs[t] = score.getTokenLogProbs(t);
                }
            } else {
                scoringUnsupported = true;
            }
        }
    }

    @Override
    public int pendingPositions() {
        return pending;
    }

    /** What the host's expert took from its prefix cache, as its last step said. */
    @Override
    public int cachedPromptPositions() {
        return cachedPromptPositions;
    }

    @Override
    public float[] nextLogProbs() {
        requireOpen();
        if (pending > 0 || next == null) {
            expert.forward(ExpertBatch.of(this, Math.max(1, pending), false));
        }
        return next.clone();
    }

    @Override
    public void append(int tokenId) {
        requireOpen();
        if (appendedCount == appended.length) {
            appended = Arrays.copyOf(appended, appended.length * 2);
        }
        appended[appendedCount++] = tokenId;
        pending++;
        length++;
        next = null;
    }

    @Override
    public double promptLogLikelihood() {
        requireScore();
        return promptLogLikelihood;
    }

    @Override
    public float[] promptTokenLogProbs() {
        requireScore();
        return promptTokenLogProbs.clone();
    }

    private void requireScore() {
        requireOpen();
        if (promptLogLikelihood == null && !scoringUnsupported && pending > 0) {
            expert.forward(ExpertBatch.of(this, pending, true));
        }
        if (scoringUnsupported) {
            throw new UnsupportedOperationException("remote expert '" + expert.name() + "' cannot score prompts");
        }
        if (promptLogLikelihood == null) {
            throw new IllegalStateException(
                    "the prompt was not scored: ask for its likelihood before the first " + "distribution");
        }
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            expert.release(this);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("session closed");
        }
    }
}
