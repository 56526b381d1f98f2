package io.tributary.tools.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.tributary.model.NativeTarget;
import io.tributary.model.tiny.TinyLlamaSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Would K experts of one architecture decode faster as one stacked pass? The linear layers of a decode step of K
 * {@link TinyLlamaSpec#small()} experts, timed two ways on one intra-op thread:
 * <ul>
 *   <li>separate: each expert's rows through its own weights, one {@code linear} per weight per expert, as the
 *       engine runs them today (an expert's batched pass);</li>
 *   <li>stacked: the K experts' weights stacked once into {@code [K, out, in]} and one batched matmul per weight
 *       kind, {@code [K, B, in] x [K, in, out]}, the rows of every expert at once.</li>
 * </ul>
 * Linear layers are about two thirds of a step's time at 16 rows and, at one row, are dominated by dispatch; the
 * table says how much of that a stacked pass would save before the rest of the decoder (norms, RoPE, attention over
 * K caches) is built to match.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench stacked-experts
 *     [--experts 4] [--runs 200]
 * </pre>
 */
@Command(
        name = "stacked-experts",
        mixinStandardHelpOptions = true,
        description = "Would K experts of one architecture decode faster as one stacked pass? The linear layers of"
                + " a decode step, each expert apart against all stacked.")
public final class StackedExpertsBenchmark implements Callable<Integer> {

    @Option(
            names = "--experts",
            defaultValue = "4",
            converter = PositiveInteger.class,
            paramLabel = "K",
            description = "Experts decoding together (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(
            names = "--runs",
            defaultValue = "200",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed steps of each kind; the table shows medians (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        NativeTarget.prepareInferenceThread();
        TinyLlamaSpec spec = TinyLlamaSpec.small();
        // Per layer, as the engine fuses them: q/k/v, o, gate/up, down.
        int kvWidth = spec.numKvHeads() * spec.headDim();
        List<long[]> shapes = new ArrayList<>();
        for (int layer = 0; layer < spec.numLayers(); layer++) {
            shapes.add(new long[] {spec.hiddenSize() + 2L * kvWidth, spec.hiddenSize()});
            shapes.add(new long[] {spec.hiddenSize(), spec.hiddenSize()});
            shapes.add(new long[] {2L * spec.intermediateSize(), spec.hiddenSize()});
            shapes.add(new long[] {spec.hiddenSize(), spec.intermediateSize()});
        }
        System.out.printf(
                "linear layers of one decode step, K = %d experts of %d layers (hidden %d, intermediate %d),"
                        + " median of %d runs, ms%n",
                experts, spec.numLayers(), spec.hiddenSize(), spec.intermediateSize(), runs);
        System.out.printf("%6s %12s %14s %14s %10s%n", "rows", "one expert", "K separate", "K stacked", "saved");
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray[]> separate = new ArrayList<>();
            List<NDArray> stacked = new ArrayList<>();
            for (long[] shape : shapes) {
                NDArray[] perExpert = new NDArray[experts];
                for (int k = 0; k < experts; k++) {
                    perExpert[k] = manager.randomNormal(0, 0.02f, new Shape(shape), DataType.FLOAT32);
                }
                separate.add(perExpert);
                // [K, out, in] stacked once, as a loader would; the [K, in, out] view is made once too (bmm reads
                // the transposed strides directly, as linear does for one expert).
                stacked.add(NDArrays.stack(new NDList(perExpert), 0).transpose(0, 2, 1));
            }
            for (int rows : new int[] {1, 4, 16}) {
                // Inputs made once: in a decoder they are the previous operation's output, not extra work.
                List<NDArray> separateInputs = new ArrayList<>();
                List<NDArray> stackedInputs = new ArrayList<>();
                for (long[] shape : shapes) {
                    separateInputs.add(manager.ones(new Shape(rows, shape[1])));
                    stackedInputs.add(manager.ones(new Shape(experts, rows, shape[1])));
                }
                double one = median(runs, () -> separateStep(manager, separate, separateInputs, 1));
                double apart = median(runs, () -> separateStep(manager, separate, separateInputs, experts));
                double together = median(runs, () -> stackedStep(manager, stacked, stackedInputs));
                System.out.printf(
                        "%6d %12.3f %14.3f %14.3f %9.0f%%%n", rows, one, apart, together, 100 * (1 - together / apart));
            }
        }
        return 0;
    }

    /** Each of {@code experts} experts' rows through its own weights, one linear per weight. */
    private static void separateStep(NDManager manager, List<NDArray[]> weights, List<NDArray> inputs, int experts) {
        try (NDManager step = manager.newSubManager()) {
            for (int k = 0; k < experts; k++) {
                for (int w = 0; w < weights.size(); w++) {
                    Linear.linear(inputs.get(w), weights.get(w)[k], null).attach(step);
                }
            }
        }
    }

    /** The rows of every expert through the stacked weights, one batched matmul per weight kind. */
    private static void stackedStep(NDManager manager, List<NDArray> weights, List<NDArray> inputs) {
        try (NDManager step = manager.newSubManager()) {
            for (int w = 0; w < weights.size(); w++) {
                inputs.get(w).matMul(weights.get(w)).attach(step);
            }
        }
    }

    private static double median(int runs, Runnable step) {
        for (int i = 0; i < runs / 10 + 3; i++) {
            step.run(); // warm-up
        }
        double[] millis = new double[runs];
        for (int i = 0; i < runs; i++) {
            long started = System.nanoTime();
            step.run();
            millis[i] = (System.nanoTime() - started) / 1e6;
        }
        Arrays.sort(millis);
        return millis[runs / 2];
    }
}
