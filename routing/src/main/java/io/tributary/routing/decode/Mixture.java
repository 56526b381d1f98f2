package io.tributary.routing.decode;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.router.Router;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * K experts served as one model: {@code p(x | ctx) = Σ_k w_k(ctx) · p_k(x | ctx)}, with the weights from a
 * router. The experts must share one vocabulary (they were fine-tuned from one base model).
 */
public final class Mixture implements AutoCloseable {

    private final String name;
    private final List<Expert> experts;
    private final Router router;
    private final Detokenizer detokenizer;
    private final Set<Integer> eosTokenIds;
    private final int vocabularySize;

    public Mixture(
            String name, List<Expert> experts, Router router, Detokenizer detokenizer, Set<Integer> eosTokenIds) {
        this.name = Objects.requireNonNull(name, "name");
        this.experts = List.copyOf(experts);
        this.router = Objects.requireNonNull(router, "router");
        this.detokenizer = Objects.requireNonNull(detokenizer, "detokenizer");
        this.eosTokenIds = Set.copyOf(eosTokenIds);
        if (this.experts.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs at least one expert");
        }
        this.vocabularySize = this.experts.get(0).vocabularySize();
        for (Expert expert : this.experts) {
            if (expert.vocabularySize() != vocabularySize) {
                throw new IllegalArgumentException("expert '" + expert.name() + "' has a vocabulary of "
                        + expert.vocabularySize() + " tokens but '"
                        + this.experts.get(0).name() + "' has "
                        + vocabularySize + ": experts of one mixture must share one vocabulary");
            }
        }
        if (detokenizer.vocabularySize() > vocabularySize) {
            throw new IllegalArgumentException("the tokenizer knows " + detokenizer.vocabularySize()
                    + " tokens but the experts' vocabulary has only " + vocabularySize);
        }
    }

    /**
     * Prepares a generation; nothing runs until a scheduler steps it. The prompt is encoded (prefill) in the
     * first step, so a request's whole cost is accounted to the decoding thread, never the HTTP thread.
     */
    public Generation start(GenerationRequest request, GenerationListener listener) {
        return new Generation(this, request, listener);
    }

    public String name() {
        return name;
    }

    public List<Expert> experts() {
        return experts;
    }

    public Router router() {
        return router;
    }

    public Detokenizer detokenizer() {
        return detokenizer;
    }

    public Set<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    @Override
    public void close() {
        for (Expert expert : experts) {
            expert.close();
        }
    }
}
