package io.tributary.routing.decode;

import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects what one decoding step runs, as each generation plans its share: per expert, the sessions to advance
 * and by how many positions, under a per-step token budget. A running request's next token always fits (decodes
 * never wait behind a prefill); a prompt being prefilled gets what is left of the budget, so a long prompt is
 * spread over several steps and the running streams keep their pace.
 */
final class StepPlanner {

    private final List<Expert> experts;
    private final List<List<BatchEntry>> entries;
    private final List<List<Generation>> owners;
    private final int tokenBudget;
    private int granted;

    /** @param tokenBudget positions a step may run over all experts; decode tokens may exceed it */
    StepPlanner(List<Expert> experts, int tokenBudget) {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("a step needs a token budget of at least 1, got " + tokenBudget);
        }
        this.experts = experts;
        this.tokenBudget = tokenBudget;
        this.entries = new ArrayList<>(experts.size());
        this.owners = new ArrayList<>(experts.size());
        for (int k = 0; k < experts.size(); k++) {
            entries.add(new ArrayList<>());
            owners.add(new ArrayList<>());
        }
    }

    /**
     * Schedules up to {@code pending} positions of {@code session} in expert {@code k}: all of them, or what is left
     * of the budget (nothing once it is spent). One position, a decode step, is always granted.
     *
     * @return the positions granted
     */
    int schedule(Generation owner, int k, ExpertSession session, int pending, boolean scorePrompt) {
        int positions = pending == 1 ? 1 : Math.min(pending, Math.max(0, tokenBudget - granted));
        if (positions > 0) {
            granted += positions;
            entries.get(k).add(new BatchEntry(session, positions, scorePrompt));
            owners.get(k).add(owner);
        }
        return positions;
    }

    /** The step as planned: one batch per expert that has work, in expert order. */
    DecodeStep build() {
        List<DecodeStep.Pass> passes = new ArrayList<>();
        for (int k = 0; k < experts.size(); k++) {
            if (!entries.get(k).isEmpty()) {
                passes.add(new DecodeStep.Pass(
                        experts.get(k), new ExpertBatch(entries.get(k)), List.copyOf(owners.get(k))));
            }
        }
        return new DecodeStep(passes);
    }
}
