package io.tributary.tools.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Batches drawn in shuffled passes over a list, reshuffled each pass from one seeded generator. */
final class ShuffledBatches<T> {

    private final List<T> items;
    private final int size;
    private final SplittableRandom random;
    private final int[] order;
    private int next;

    ShuffledBatches(List<T> items, int size, long seed) {
        this.items = items;
        this.size = size;
        this.random = new SplittableRandom(seed);
        this.order = new int[items.size()];
        this.next = order.length;
    }

    List<T> next() {
        List<T> batch = new ArrayList<>(size);
        while (batch.size() < size) {
            if (next == order.length) {
                shuffle();
            }
            batch.add(items.get(order[next++]));
        }
        return batch;
    }

    private void shuffle() {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        next = 0;
    }
}
