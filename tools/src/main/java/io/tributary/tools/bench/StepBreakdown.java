package io.tributary.tools.bench;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one decode step's time went, from PyTorch's profiler trace of it (Chrome trace events, as DJL's
 * {@code JniUtils.stopProfile} writes them): the top-level ops of the profiled thread, by kind, and the time between
 * them, which is JNI dispatch, Java code, and waiting for the row split's other thread.
 *
 * @param spanMicros    first op's start to last op's end
 * @param linearMicros  products by a weight: 2-D {@code matmul}, {@code mm}, {@code addmm}, {@code linear}, and the
 *                      packed weights' kernel methods ({@code linear_bf16}, {@code linear_int8}, {@code linear_int4})
 * @param attentionMicros products of 3-D and 4-D operands: queries by keys, probabilities by values
 * @param otherMicros   every other top-level op (norms, RoPE, softmax, cache writes, embedding, concatenation)
 * @param ops           top-level ops
 * @param linears       the linear products by shape, most time first
 */
record StepBreakdown(
        double spanMicros,
        double linearMicros,
        double attentionMicros,
        double otherMicros,
        int ops,
        List<Linear> linears) {

    /** The packed-weight kernels' TorchScript methods (see Kernels), each one product by a weight. */
    private static final String INT4_PRODUCT = "linear_int4";

    private static final Set<String> PRODUCTS = Set.of(
            "aten::matmul",
            "aten::mm",
            "aten::addmm",
            "aten::linear",
            "aten::bmm",
            "linear_bf16",
            "linear_int8",
            INT4_PRODUCT);

    /** Time between top-level ops. */
    double betweenMicros() {
        return spanMicros - linearMicros - attentionMicros - otherMicros;
    }

    /**
     * One weight shape's products.
     *
     * @param rows   rows multiplied (the batch's positions)
     * @param in     the weight's input features
     * @param out    its output features (a slice of them under the row split)
     * @param calls  products of this shape in the step
     * @param micros their time together
     */
    record Linear(long rows, long in, long out, int calls, double micros) {

        /** Weight bytes read a second, assuming each call reads its weight once. */
        double gigabytesPerSecond(double bytesPerWeight) {
            return (double) in * out * bytesPerWeight * calls / micros / 1e3;
        }
    }

    /** The breakdown of the thread with the most events in {@code trace} (an array of events). */
    static StepBreakdown of(JsonNode trace) {
        List<JsonNode> events = new ArrayList<>();
        Map<String, Integer> perThread = new LinkedHashMap<>();
        for (JsonNode event : trace) {
            if ("X".equals(event.path("ph").asString(""))) {
                events.add(event);
                perThread.merge(event.path("tid").toString(), 1, Integer::sum);
            }
        }
        String thread = perThread.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElseThrow(() -> new IllegalArgumentException("the trace holds no complete events"));
        events.removeIf(event -> !event.path("tid").toString().equals(thread));
        events.sort(
                Comparator.<JsonNode>comparingDouble(event -> event.path("ts").asDouble())
                        .thenComparing(event -> -event.path("dur").asDouble()));

        double start = events.get(0).path("ts").asDouble();
        double end = start;
        double linear = 0;
        double attention = 0;
        double other = 0;
        int ops = 0;
        Map<List<Long>, double[]> byShape = new LinkedHashMap<>(); // [rows, in, out] to {calls, micros}
        for (JsonNode event : events) {
            double from = event.path("ts").asDouble();
            double duration = event.path("dur").asDouble();
            if (from < end) {
                continue; // nested in the op before: counted with it
            }
            end = from + duration;
            ops++;
            List<long[]> shapes = tensorShapes(event.path("shape"));
            if (!PRODUCTS.contains(event.path("name").asString(""))) {
                other += duration;
            } else if (event.path("name").asString("").startsWith("linear_")
                    || shapes.stream().allMatch(shape -> shape.length <= 2)) {
                linear += duration;
                List<Long> shape = INT4_PRODUCT.equals(event.path("name").asString(""))
                        ? List.of(shapes.get(0)[0], shapes.get(0)[1], shapes.get(1)[0]) // packed: [out, in/2]
                        : linearShape(shapes);
                double[] totals = byShape.computeIfAbsent(shape, key -> new double[2]);
                totals[0]++;
                totals[1] += duration;
            } else {
                attention += duration;
            }
        }
        List<Linear> linears = new ArrayList<>();
        byShape.forEach((shape, totals) ->
                linears.add(new Linear(shape.get(0), shape.get(1), shape.get(2), (int) totals[0], totals[1])));
        linears.sort(Comparator.comparingDouble(Linear::micros).reversed());
        return new StepBreakdown(end - start, linear, attention, other, ops, List.copyOf(linears));
    }

    /** The non-scalar operand shapes of an event, in order. */
    private static List<long[]> tensorShapes(JsonNode shapes) {
        List<long[]> result = new ArrayList<>();
        for (JsonNode shape : shapes) {
            if (shape.size() > 0) {
                long[] dims = new long[shape.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shape.get(i).asLong();
                }
                result.add(dims);
            }
        }
        return result;
    }

    /**
     * [rows, in, out] of a product {@code x [rows, in] @ w^T [in, out]}, or of {@code w [out, in] @ x^T [in, rows]}
     * (the row split's order for 2 or 3 rows): the weight is the larger operand. A 1-D operand is a bias.
     */
    private static List<Long> linearShape(List<long[]> shapes) {
        List<long[]> matrices =
                shapes.stream().filter(shape -> shape.length == 2).toList();
        if (matrices.size() < 2) {
            return List.of(0L, 0L, 0L);
        }
        long[] left = matrices.get(0);
        long[] right = matrices.get(1);
        return left[0] * left[1] > right[0] * right[1]
                ? List.of(right[1], left[1], left[0])
                : List.of(left[0], right[0], right[1]);
    }
}
