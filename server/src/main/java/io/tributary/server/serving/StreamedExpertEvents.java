package io.tributary.server.serving;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened to a stream's experts since its previous event (experts lost, sessions moved to another replica), so
 * that the next event says so at once instead of only the last one: a client sees it while the answer is still
 * streaming. Fed on the decoding thread, by the stream's listener, in the order the generation reports them and its
 * tokens.
 */
public final class StreamedExpertEvents {

    private final List<LostExpert> lost = new ArrayList<>();
    private final List<ExpertFailover> failovers = new ArrayList<>();
    private int tokens;

    /** A token was generated (whether or not it has been sent yet). */
    public void token() {
        tokens++;
    }

    /** An expert was lost before the next token: it takes part in none from there on. */
    public void lost(String expert, Throwable failure) {
        lost.add(new LostExpert(expert, tokens, failure.getMessage()));
    }

    /** An expert's session moved to another replica before the next token. */
    public void failover(String expert, String detail) {
        failovers.add(new ExpertFailover(expert, tokens, detail));
    }

    /** The losses not reported yet, which the event being sent now reports; empty when there were none. */
    public List<LostExpert> drainLost() {
        return drain(lost);
    }

    /** The failovers not reported yet, which the event being sent now reports; empty when there were none. */
    public List<ExpertFailover> drainFailovers() {
        return drain(failovers);
    }

    private static <T> List<T> drain(List<T> pending) {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<T> drained = List.copyOf(pending);
        pending.clear();
        return drained;
    }
}
