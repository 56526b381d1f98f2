package io.tributary.server.remote;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.testing.ForwardingExpert;

/** A real expert whose batched passes fail after a number of them, as on a broken device. */
final class FailingExpert extends ForwardingExpert {
    private int passesLeft = Integer.MAX_VALUE;

    FailingExpert(Expert delegate) {
        super(delegate);
    }

    synchronized void failAfterPasses(int passes) {
        passesLeft = passes;
    }

    @Override
    public synchronized void forward(ExpertBatch batch) {
        if (passesLeft-- <= 0) {
            throw new IllegalStateException("broken device");
        }
        delegate.forward(batch);
    }
}
