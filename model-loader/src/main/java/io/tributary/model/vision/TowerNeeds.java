package io.tributary.model.vision;

import java.util.Set;
import java.util.TreeSet;

/**
 * What the consumers of a tower read from one encoder run: LLaVA experts their feature layers' hidden states, a
 * router the pooled output (which needs every layer). The tower runs for the union of its consumers' needs, so one
 * run serves them all.
 *
 * @param layers hidden-state indices (0 = embeddings, i = after encoder layer i - 1)
 */
record TowerNeeds(Set<Integer> layers, boolean pooled) {

    static final TowerNeeds NONE = new TowerNeeds(Set.of(), false);

    TowerNeeds {
        layers = Set.copyOf(new TreeSet<>(layers));
    }

    static TowerNeeds of(int[] layers, boolean pooled) {
        Set<Integer> set = new TreeSet<>();
        for (int layer : layers) {
            set.add(layer);
        }
        return new TowerNeeds(set, pooled);
    }

    TowerNeeds union(TowerNeeds other) {
        Set<Integer> all = new TreeSet<>(layers);
        all.addAll(other.layers);
        return new TowerNeeds(all, pooled || other.pooled);
    }

    /** Encoder layers to run: up to the deepest state kept, all of them for the pooled output. */
    int layersToRun(int towerLayers) {
        int deepest = layers.stream().mapToInt(Integer::intValue).max().orElse(0);
        return pooled ? towerLayers : deepest;
    }
}
