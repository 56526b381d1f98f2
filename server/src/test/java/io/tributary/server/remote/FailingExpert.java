package io.tributary.server.remote;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

/** A real expert whose batched passes fail after a number of them, as on a broken device. */
final class FailingExpert implements Expert {
    private final Expert delegate;
    private int passesLeft = Integer.MAX_VALUE;

    FailingExpert(Expert delegate) {
        this.delegate = delegate;
    }

    synchronized void failAfterPasses(int passes) {
        passesLeft = passes;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public int vocabularySize() {
        return delegate.vocabularySize();
    }

    @Override
    public int maxSequenceLength() {
        return delegate.maxSequenceLength();
    }

    @Override
    public long kvBytesPerPosition() {
        return delegate.kvBytesPerPosition();
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        return delegate.open(prompt);
    }

    @Override
    public synchronized void forward(ExpertBatch batch) {
        if (passesLeft-- <= 0) {
            throw new IllegalStateException("broken device");
        }
        delegate.forward(batch);
    }

    @Override
    public void close() {}
}
