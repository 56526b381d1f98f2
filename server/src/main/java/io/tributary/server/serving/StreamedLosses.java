package io.tributary.server.serving;

import java.util.ArrayList;
import java.util.List;

/**
 * The experts a stream lost since its previous event, so that the next event says so at once instead of only the
 * last one: a client sees the drop while the answer is still streaming. Fed on the decoding thread, by the stream's
 * listener, in the order the generation reports losses and tokens.
 */
public final class StreamedLosses {

    private final List<LostExpert> pending = new ArrayList<>();
    private int tokens;

    /** A token was generated (whether or not it has been sent yet). */
    public void token() {
        tokens++;
    }

    /** An expert was lost before the next token: it takes part in none from there on. */
    public void lost(String expert, Throwable failure) {
        pending.add(new LostExpert(expert, tokens, failure.getMessage()));
    }

    /** The losses not reported yet, which the event being sent now reports; empty when there were none. */
    public List<LostExpert> drain() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<LostExpert> drained = List.copyOf(pending);
        pending.clear();
        return drained;
    }
}
