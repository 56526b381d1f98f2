package io.tributary.routing.testing;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

/**
 * An expert that passes everything to another, for tests that change one behaviour (a slow or failing pass) of a
 * real expert. Closing it leaves the other to its owner.
 */
public abstract class ForwardingExpert implements Expert {

    protected final Expert delegate;

    protected ForwardingExpert(Expert delegate) {
        this.delegate = delegate;
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
    public int promptPositions(Prompt prompt) {
        return delegate.promptPositions(prompt);
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        return delegate.open(prompt);
    }

    @Override
    public void forward(ExpertBatch batch) {
        delegate.forward(batch);
    }

    @Override
    public void close() {}
}
