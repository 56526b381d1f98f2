package io.tributary.routing.decode;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;

import java.util.List;

/**
 * One decoding step as the scheduler hands it to the experts: for each expert that any running request needs
 * now, one batched forward pass. Between planning and running nothing else touches the sessions.
 *
 * @param passes one per expert with work, in expert order
 */
public record DecodeStep(List<Pass> passes) {

    public DecodeStep {
        passes = List.copyOf(passes);
    }

    /** Positions run in this step, over all experts. */
    public int positions() {
        return passes.stream().mapToInt(pass -> pass.batch().positions()).sum();
    }

    /**
     * One expert's forward pass.
     *
     * @param owners the generation of each batch entry, in order: a pass that fails fails exactly these
     */
    public record Pass(Expert expert, ExpertBatch batch, List<Generation> owners) {

        public Pass {
            owners = List.copyOf(owners);
        }
    }
}
