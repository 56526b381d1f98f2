package io.tributary.tools.clustering;

import java.util.Arrays;

/**
 * The slots of one group of {@link BalancedAssignment}'s auction: a binary min-heap of prices, each slot with
 * its holder (−1 when free).
 */
final class AuctionSlots {

    final double[] prices; // read and written by BalancedAssignment.Prices to start from an earlier solve
    private final int[] holders;
    private final int[] positions; // each bidder's slot in its group's heap, shared by all groups

    AuctionSlots(int capacity, int[] positions) {
        this.positions = positions;
        prices = new double[capacity];
        holders = new int[capacity];
        Arrays.fill(holders, -1);
    }

    /** Frees the bidder's slot, at its price (the heap stays ordered). */
    void release(int bidder) {
        holders[positions[bidder]] = -1;
    }

    double cheapestPrice() {
        return prices[0];
    }

    double secondCheapestPrice() {
        if (prices.length == 1) {
            return Double.POSITIVE_INFINITY;
        }
        return prices.length == 2 ? prices[1] : Math.min(prices[1], prices[2]);
    }

    /** Gives the cheapest slot to the bidder at the new price; returns its previous holder. */
    int replaceCheapest(double price, int bidder) {
        int previous = holders[0];
        prices[0] = price;
        holders[0] = bidder;
        positions[bidder] = 0;
        int slot = 0;
        while (true) { // sift down
            int child = 2 * slot + 1;
            if (child >= prices.length) {
                break;
            }
            if (child + 1 < prices.length && prices[child + 1] < prices[child]) {
                child++;
            }
            if (prices[child] >= prices[slot]) {
                break;
            }
            swap(slot, child);
            slot = child;
        }
        return previous;
    }

    private void swap(int a, int b) {
        double price = prices[a];
        prices[a] = prices[b];
        prices[b] = price;
        int holder = holders[a];
        holders[a] = holders[b];
        holders[b] = holder;
        if (holders[a] >= 0) {
            positions[holders[a]] = a;
        }
        if (holders[b] >= 0) {
            positions[holders[b]] = b;
        }
    }
}
