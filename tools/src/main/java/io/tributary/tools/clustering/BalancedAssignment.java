package io.tributary.tools.clustering;

/**
 * Assigns N points to K clusters maximising the total score Σ_i s(i, a(i)) under the balance constraint of
 * balanced k-means: every cluster receives ⌊N/K⌋ points, and the N mod K points left over go to distinct clusters
 * (so sizes differ by at most one).
 *
 * <p>Solved by Bertsekas' auction algorithm with ε-scaling on "slots": cluster k offers ⌊N/K⌋ regular slots and,
 * when N mod K = r > 0, one extra slot; K − r dummy bidders, worth 0 on extra slots and barred from regular ones,
 * take the extra slots nobody needs. Each unassigned bidder bids for its best slot (the cheapest one of its best
 * cluster), raising that slot's price by the margin over its second-best slot plus ε, and evicts the slot's holder.
 * A finished phase satisfies ε-complementary slackness, so the assignment is within (N + K)·ε of the optimum.
 */
public final class BalancedAssignment {

    private BalancedAssignment() {}

    /**
     * @param scores  [N][K] what point i is worth in cluster k (cosine similarities in balanced k-means)
     * @param epsilon the final ε: the total is within (N + K)·ε of the best balanced assignment
     * @return the cluster of each point
     */
    public static int[] solve(float[][] scores, int clusters, double epsilon) {
        return solve(scores, clusters, epsilon, null);
    }

    /**
     * As {@link #solve(float[][], int, double)}, starting from the slot prices of an earlier solve of the same size
     * (k-means asks again with centroids that moved a little: its prices are nearly right, so few bids are needed).
     *
     * @param prices the prices to start from and to leave for the next solve, filled by the first one; or null
     */
    public static int[] solve(float[][] scores, int clusters, double epsilon, Prices prices) {
        int points = scores.length;
        if (clusters < 1 || points < clusters) {
            throw new IllegalArgumentException("cannot split " + points + " points into " + clusters + " clusters");
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
        Auction auction = new Auction(scores, clusters);
        boolean warm = prices != null && prices.load(auction.slots);
        int[] assignment = auction.run(epsilon, warm);
        if (prices != null) {
            prices.save(auction.slots);
        }
        return assignment;
    }

    /** Slot prices kept between solves of problems of the same size. */
    public static final class Prices {
        private double[][] values;

        boolean load(AuctionSlots[] slots) {
            if (values == null || values.length != slots.length) {
                return false;
            }
            for (int g = 0; g < slots.length; g++) {
                if (values[g].length != slots[g].prices.length) {
                    return false;
                }
            }
            for (int g = 0; g < slots.length; g++) {
                System.arraycopy(values[g], 0, slots[g].prices, 0, values[g].length); // a heap stays a heap
            }
            return true;
        }

        void save(AuctionSlots[] slots) {
            values = new double[slots.length][];
            for (int g = 0; g < slots.length; g++) {
                values[g] = slots[g].prices.clone();
            }
        }
    }

    /** Total score of an assignment. */
    public static double total(float[][] scores, int[] assignment) {
        double total = 0;
        for (int i = 0; i < scores.length; i++) {
            total += scores[i][assignment[i]];
        }
        return total;
    }

    private static final class Auction {
        private final float[][] scores;
        private final int clusters;
        private final int groups; // K regular groups, then K extra groups when N mod K > 0
        private final int bidders; // N points, then the dummies
        private final AuctionSlots[] slots;
        private final int[] groupOf;
        private final double[] paid; // the price of the slot each assigned bidder holds

        Auction(float[][] scores, int clusters) {
            this.scores = scores;
            this.clusters = clusters;
            int points = scores.length;
            int perCluster = points / clusters;
            int leftOver = points % clusters;
            this.groups = leftOver == 0 ? clusters : 2 * clusters;
            this.bidders = leftOver == 0 ? points : points + clusters - leftOver;
            this.slots = new AuctionSlots[groups];
            int[] positions = new int[bidders];
            for (int g = 0; g < groups; g++) {
                slots[g] = new AuctionSlots(g < clusters ? perCluster : 1, positions);
            }
            this.groupOf = new int[bidders];
            this.paid = new double[bidders];
        }

        /** @param warm whether the slots start at an earlier solve's prices: then ε starts small */
        int[] run(double finalEpsilon, boolean warm) {
            double range = scoreRange();
            double epsilon = Math.max(warm ? range / 4096 : range / 4, finalEpsilon);
            boolean first = true;
            while (true) {
                phase(epsilon, first);
                first = false;
                if (epsilon <= finalEpsilon) {
                    break;
                }
                epsilon = Math.max(epsilon / 8, finalEpsilon);
            }
            int[] assignment = new int[scores.length];
            for (int i = 0; i < assignment.length; i++) {
                assignment[i] = groupOf[i] % clusters;
            }
            return assignment;
        }

        /**
         * One auction at this ε, keeping the prices of the phase before and every assignment that still satisfies
         * ε-complementary slackness (within ε of the bidder's best slot); the others bid again.
         */
        private void phase(double epsilon, boolean first) {
            int[] queue = new int[bidders];
            int size = 0;
            for (int i = 0; i < bidders; i++) {
                if (first) {
                    groupOf[i] = -1;
                } else if (bestValue(i) - (worth(i, groupOf[i]) - paid[i]) > epsilon) {
                    slots[groupOf[i]].release(i);
                    groupOf[i] = -1;
                }
                if (groupOf[i] < 0) {
                    queue[size++] = i;
                }
            }
            int head = 0;
            while (size > 0) {
                int bidder = queue[head];
                head = (head + 1) % bidders;
                size--;
                int evicted = bid(bidder, epsilon);
                if (evicted >= 0) {
                    groupOf[evicted] = -1;
                    queue[(head + size) % bidders] = evicted;
                    size++;
                }
            }
        }

        private double bestValue(int bidder) {
            double best = Double.NEGATIVE_INFINITY;
            for (int g = 0; g < groups; g++) {
                best = Math.max(best, worth(bidder, g) - slots[g].cheapestPrice());
            }
            return best;
        }

        /** @return the bidder evicted from the slot won, or −1 for a free slot */
        private int bid(int bidder, double epsilon) {
            int best = -1;
            double bestValue = Double.NEGATIVE_INFINITY;
            double secondValue = Double.NEGATIVE_INFINITY;
            for (int g = 0; g < groups; g++) {
                double worth = worth(bidder, g);
                if (worth == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double value = worth - slots[g].cheapestPrice();
                if (value > bestValue) {
                    secondValue = bestValue;
                    bestValue = value;
                    best = g;
                } else if (value > secondValue) {
                    secondValue = value;
                }
            }
            double bestWorth = worth(bidder, best);
            // The second-best slot may be the next cheapest slot of the same group.
            secondValue = Math.max(secondValue, bestWorth - slots[best].secondCheapestPrice());
            double price = secondValue == Double.NEGATIVE_INFINITY
                    ? slots[best].cheapestPrice() + epsilon
                    : bestWorth - secondValue + epsilon;
            groupOf[bidder] = best;
            paid[bidder] = price;
            return slots[best].replaceCheapest(price, bidder);
        }

        /** What a bidder gains in group g; −∞ where it may not go. */
        private double worth(int bidder, int group) {
            boolean extra = group >= clusters;
            if (bidder >= scores.length) {
                return extra ? 0 : Double.NEGATIVE_INFINITY;
            }
            return scores[bidder][extra ? group - clusters : group];
        }

        private double scoreRange() {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (float[] row : scores) {
                for (int k = 0; k < clusters; k++) {
                    if (!Float.isFinite(row[k])) {
                        throw new IllegalArgumentException("scores must be finite, got " + row[k]);
                    }
                    min = Math.min(min, row[k]);
                    max = Math.max(max, row[k]);
                }
            }
            if (groups > clusters) { // dummies are worth 0
                min = Math.min(min, 0);
                max = Math.max(max, 0);
            }
            return max - min;
        }
    }
}
