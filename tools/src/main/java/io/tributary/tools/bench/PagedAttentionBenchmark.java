package io.tributary.tools.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.kernel.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * One layer's decode attention over a paged KV cache, by the routes a CPU engine has without a kernel of its own, on
 * the shapes of InternVL2.5-1B's language model (14 query heads over 2 key/value heads of 64, blocks of 16):
 *
 * <ul>
 *   <li><b>gathered</b>: each sequence's blocks copied into one run (ATen's {@code index_select}, one op per kind),
 *       then two matmuls: Tributary's route;
 *   <li><b>indexed</b>: the same gather through a DJL index on the pool's second dimension, which copies element by
 *       element (Tributary's route before);
 *   <li><b>block-indexed</b>: the matmuls read the pool block by block where the blocks lie (a column of blocks, one
 *       per sequence, at a time), the scores joined for one softmax, as a paged-attention kernel does, here in
 *       library ops;
 *   <li><b>contiguous</b>: the cache as one run per sequence, nothing to gather (a slot cache's layout, or blocks that
 *       happen to be adjacent): the floor of the other two.
 * </ul>
 *
 * Blocks are scattered over a pool twice as large as the sequences need, as after a while of serving.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench paged-attention [--contexts 128,512,1024,2048]
 *     [--batches 1,8] [--repeats 200]
 * </pre>
 */
@Command(
        name = "paged-attention",
        mixinStandardHelpOptions = true,
        description = "Decode attention over a paged KV cache: gathered blocks against block-indexed reads and a"
                + " contiguous cache, on the 1B shape.")
public final class PagedAttentionBenchmark implements Callable<Integer> {

    private static final int KV_HEADS = 2;
    private static final int QUERIES_PER_KV_HEAD = 7;
    private static final int HEAD_DIM = 64;
    private static final int BLOCK = 16;

    @Option(
            names = "--contexts",
            split = ",",
            defaultValue = "128,512,1024,2048",
            paramLabel = "S",
            description = "Positions each sequence attends over (default: ${DEFAULT-VALUE}).")
    List<Integer> contexts;

    @Option(
            names = "--batches",
            split = ",",
            defaultValue = "1,8",
            paramLabel = "B",
            description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(
            names = "--repeats",
            defaultValue = "200",
            converter = PositiveInteger.class,
            paramLabel = "R",
            description = "Timed repeats of each route; the table shows medians (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() {
        NativeTarget.setIntraOpThreads(1); // the server's default (tributary.engine.threads)
        NativeTarget.prepareInferenceThread();
        System.out.printf(
                "%nPagedAttentionBenchmark: one layer's decode attention, 14 query heads over 2 kv heads of 64, blocks"
                        + " of 16, float32, one thread; microseconds, median of %d repeats, the routes alternating%n",
                repeats);
        System.out.println("batch  context  gathered  indexed  block-indexed  contiguous  gathered/contiguous");
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "paged-attention")) {
            for (int batch : batches) {
                for (int context : contexts) {
                    measure(manager, batch, context);
                }
            }
        }
        return 0;
    }

    private void measure(NDManager parent, int batch, int context) {
        try (NDManager manager = parent.newSubManager()) {
            Kernels kernels = Kernels.load(manager);
            int perSequence = (context + BLOCK - 1) / BLOCK;
            int poolBlocks = 2 * batch * perSequence + 1;
            Random random = new Random(5);
            NDArray keysPool = random(manager, new Shape(KV_HEADS, poolBlocks, BLOCK, HEAD_DIM), random);
            NDArray valuesPool = random(manager, new Shape(KV_HEADS, poolBlocks, BLOCK, HEAD_DIM), random);
            List<Long> free = new ArrayList<>();
            for (long block = 1; block < poolBlocks; block++) {
                free.add(block);
            }
            Collections.shuffle(free, random);
            long[] ids = new long[batch * perSequence]; // sequence-major: sequence b's blocks at b * perSequence
            for (int i = 0; i < ids.length; i++) {
                ids[i] = free.get(i);
            }
            NDArray blockIds = manager.create(ids);
            List<NDArray> columns = new ArrayList<>(); // block j of every sequence
            for (int j = 0; j < perSequence; j++) {
                long[] column = new long[batch];
                for (int b = 0; b < batch; b++) {
                    column[b] = ids[b * perSequence + j];
                }
                columns.add(manager.create(column));
            }
            NDArray queries = random(manager, new Shape(KV_HEADS, batch, QUERIES_PER_KV_HEAD, HEAD_DIM), random);
            NDArray keysRun = random(manager, new Shape(KV_HEADS, batch, (long) perSequence * BLOCK, HEAD_DIM), random);
            NDArray valuesRun =
                    random(manager, new Shape(KV_HEADS, batch, (long) perSequence * BLOCK, HEAD_DIM), random);

            Route indexed = step -> attend(
                    queries,
                    indexedGather(keysPool, blockIds, batch, step),
                    indexedGather(valuesPool, blockIds, batch, step));
            Route blockIndexed = step -> blockIndexed(queries, keysPool, valuesPool, columns, step);
            Route gathered = step -> {
                blockIds.tempAttach(step); // the gathered blocks land in its manager
                return attend(
                        queries,
                        kernels.gatherBlocks(keysPool, blockIds).reshape(KV_HEADS, batch, -1, HEAD_DIM),
                        kernels.gatherBlocks(valuesPool, blockIds).reshape(KV_HEADS, batch, -1, HEAD_DIM));
            };
            Route contiguous = step -> attend(queries, keysRun, valuesRun);
            checkSameResult(manager, queries, keysPool, valuesPool, blockIds, columns, batch);

            List<List<Double>> times =
                    List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            List<Route> routes = List.of(gathered, indexed, blockIndexed, contiguous);
            for (int r = -repeats / 10; r < repeats; r++) { // a tenth more first, to warm up
                for (int i = 0; i < routes.size(); i++) {
                    try (NDManager step = manager.newSubManager()) {
                        // Results land in their first operand's manager: the step's, so that each is freed at once.
                        queries.tempAttach(step);
                        keysRun.tempAttach(step);
                        valuesRun.tempAttach(step);
                        long started = System.nanoTime();
                        routes.get(i).run(step).toFloatArray();
                        if (r >= 0) {
                            times.get(i).add((System.nanoTime() - started) / 1e3);
                        }
                    }
                }
            }
            double gatheredMicros = Benchmarks.median(times.get(0));
            double contiguousMicros = Benchmarks.median(times.get(3));
            System.out.printf(
                    Locale.ROOT,
                    "%5d %8d %9.0f %8.0f %14.0f %11.0f %20.2f%n",
                    batch,
                    context,
                    gatheredMicros,
                    Benchmarks.median(times.get(1)),
                    Benchmarks.median(times.get(2)),
                    contiguousMicros,
                    gatheredMicros / contiguousMicros);
        }
    }

    /** The step's attention output, owned by {@code step}'s manager or the inputs'. */
    @FunctionalInterface
    private interface Route {
        NDArray run(NDManager step);
    }

    /** [K, B*M, P, D] blocks of B sequences as [K, B, M*P, D]: the reshape is free, the gather is the copy. */
    private static NDArray indexedGather(NDArray pool, NDArray blockIds, int batch, NDManager step) {
        NDArray blocks = pool.get(step, new NDIndex(":, {}", blockIds));
        return blocks.reshape(KV_HEADS, batch, -1, HEAD_DIM);
    }

    /** queries [K, B, G, D] against keys and values [K, B, S, D]: [K, B, G, D]. */
    private static NDArray attend(NDArray queries, NDArray keys, NDArray values) {
        return queries.matMul(keys.transpose(0, 1, 3, 2)).softmax(-1).matMul(values);
    }

    /**
     * The matmuls over one column of blocks at a time (block j of every sequence, [K, B, P, D]), the scores joined
     * for one softmax over the whole context, the weighted values summed column by column.
     */
    private static NDArray blockIndexed(
            NDArray queries, NDArray keysPool, NDArray valuesPool, List<NDArray> columns, NDManager step) {
        NDList scores = new NDList(columns.size());
        for (NDArray column : columns) {
            NDArray keys = keysPool.get(step, new NDIndex(":, {}", column));
            scores.add(queries.matMul(keys.transpose(0, 1, 3, 2))); // [K, B, G, P]
        }
        NDArray weights = NDArrays.concat(scores, -1).softmax(-1);
        NDArray sum = null;
        for (int j = 0; j < columns.size(); j++) {
            NDArray values = valuesPool.get(step, new NDIndex(":, {}", columns.get(j)));
            NDArray part = weights.get(new NDIndex().addAllDim(3).addSliceDim(j * BLOCK, (j + 1) * BLOCK))
                    .matMul(values);
            sum = sum == null ? part : sum.addi(part);
        }
        return sum;
    }

    /** The gathered and block-indexed routes compute the same attention (to float rounding). */
    private static void checkSameResult(
            NDManager manager,
            NDArray queries,
            NDArray keysPool,
            NDArray valuesPool,
            NDArray blockIds,
            List<NDArray> columns,
            int batch) {
        try (NDManager step = manager.newSubManager()) {
            queries.tempAttach(step);
            NDArray one = attend(
                    queries,
                    indexedGather(keysPool, blockIds, batch, step),
                    indexedGather(valuesPool, blockIds, batch, step));
            NDArray other = blockIndexed(queries, keysPool, valuesPool, columns, step);
            float difference = one.sub(other).abs().max().getFloat();
            if (difference > 1e-4f) {
                throw new IllegalStateException("the routes disagree by " + difference);
            }
        }
    }

    private static NDArray random(NDManager manager, Shape shape, Random random) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.5f;
        }
        return manager.create(values, shape).toType(DataType.FLOAT32, false);
    }
}
