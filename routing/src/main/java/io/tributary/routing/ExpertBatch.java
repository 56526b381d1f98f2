package io.tributary.routing;

import java.util.List;

/**
 * The work one expert does in one decoding step, for every request that needs it: a running request's next
 * token, or the next chunk of a prompt being prefilled. The expert runs it as one forward pass, so a step costs
 * about as much for sixteen requests as for one.
 */
public record ExpertBatch(List<BatchEntry> entries) {

    public ExpertBatch {
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("an expert batch needs at least one entry");
        }
    }

    public static ExpertBatch of(ExpertSession session, int positions, boolean scorePrompt) {
        return new ExpertBatch(List.of(new BatchEntry(session, positions, scorePrompt)));
    }

    /** Positions run in this pass, over all entries. */
    public int positions() {
        return entries.stream().mapToInt(BatchEntry::positions).sum();
    }
}
