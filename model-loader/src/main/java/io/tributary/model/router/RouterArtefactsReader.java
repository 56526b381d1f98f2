package io.tributary.model.router;

import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.HalfFloats;
import io.tributary.model.safetensors.SafetensorsFile;
import io.tributary.model.safetensors.TensorInfo;
import io.tributary.routing.router.Classifier;
import io.tributary.routing.router.ClusterModel;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the router's artefacts from safetensors files beside the manifest:
 * <ul>
 *   <li>clusters: {@code centroids} [K, d], {@code global_mean} [d], optional {@code priors} [K];</li>
 *   <li>classifier: {@code layers.N.weight} [out, in] and {@code layers.N.bias} [out], N = 0, 1, ...</li>
 * </ul>
 * Any other tensor, or a missing or mis-shaped one, fails naming it and the file.
 */
public final class RouterArtefactsReader {

    private RouterArtefactsReader() {}

    /** Metadata key of a clusters file stating how features are normalised before routing: l2 or none. */
    public static final String NORMALIZATION_KEY = "feature_normalization";

    /**
     * @param priors the manifest's priors, which take precedence over the file's; {@code null} for the file's,
     *               or uniform when the file has none
     */
    public static ClusterModel readClusters(Path path, double[] priors) {
        return readClusters(path, null, priors, null);
    }

    /**
     * Reads Tributary's safetensors clusters, or the paper's {@code .npy} centroids [K, d] as they are (no global
     * mean; the paper L2-normalises features, so normalisation defaults on).
     *
     * @param fineToCoarse     for the paper's two-stage clusters: the {@code .npy} mapping of each fine centroid
     *                         (then {@code path}) to its expert; {@code null} for one centroid per expert
     * @param normalizeFeature {@code null} for what the file implies: on for {@code .npy}, else the file's
     *                         {@value #NORMALIZATION_KEY} metadata ({@code l2} or {@code none}, none when absent)
     */
    public static ClusterModel readClusters(Path path, Path fineToCoarse, double[] priors, Boolean normalizeFeature) {
        boolean npy = path.getFileName().toString().endsWith(".npy");
        float[][] centroids;
        float[] mean;
        double[] filePriors = null;
        boolean normalize;
        if (npy) {
            centroids = NpyFiles.matrix(path);
            mean = new float[centroids.length == 0 ? 0 : centroids[0].length];
            normalize = true;
        } else {
            SafetensorsFile file = SafetensorsFile.open(path);
            requireOnly(file, Set.of("centroids", "global_mean", "priors"));
            centroids = matrix(file, "centroids");
            mean = vector(file, "global_mean");
            if (file.tensors().containsKey("priors")) {
                filePriors = toDoubles(vector(file, "priors"));
            }
            normalize = normalization(file);
        }
        int[] owners = fineToCoarse == null ? null : NpyFiles.labels(fineToCoarse, centroids.length);
        int experts =
                owners == null ? centroids.length : Arrays.stream(owners).max().orElse(-1) + 1;
        double[] clusterPriors = priors != null ? priors : filePriors != null ? filePriors : uniform(experts);
        try {
            return owners == null && normalizeFeature == null && !normalize
                    ? new ClusterModel(centroids, mean, clusterPriors)
                    : new ClusterModel(
                            centroids,
                            mean,
                            clusterPriors,
                            owners == null ? identity(centroids.length) : owners,
                            normalizeFeature == null ? normalize : normalizeFeature);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(path + ": " + e.getMessage(), e);
        }
    }

    private static boolean normalization(SafetensorsFile file) {
        String value = file.metadata().getOrDefault(NORMALIZATION_KEY, "none");
        return switch (value) {
            case "l2" -> true;
            case "none" -> false;
            default ->
                throw new ModelLoadException(
                        file.path() + ": metadata " + NORMALIZATION_KEY + " is '" + value + "'; expected l2 or none");
        };
    }

    private static int[] identity(int count) {
        int[] owners = new int[count];
        for (int k = 0; k < count; k++) {
            owners[k] = k;
        }
        return owners;
    }

    public static Classifier readClassifier(Path path) {
        SafetensorsFile file = SafetensorsFile.open(path);
        List<float[][]> weights = new ArrayList<>();
        List<float[]> biases = new ArrayList<>();
        Set<String> expected = new TreeSet<>();
        for (int layer = 0; file.tensors().containsKey("layers." + layer + ".weight"); layer++) {
            weights.add(matrix(file, "layers." + layer + ".weight"));
            biases.add(vector(file, "layers." + layer + ".bias"));
            expected.add("layers." + layer + ".weight");
            expected.add("layers." + layer + ".bias");
        }
        if (weights.isEmpty()) {
            throw new ModelLoadException(path + ": no tensor 'layers.0.weight': not a router classifier");
        }
        requireOnly(file, expected);
        try {
            return new Classifier(weights, biases, normalization(file));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(path + ": " + e.getMessage(), e);
        }
    }

    private static void requireOnly(SafetensorsFile file, Set<String> allowed) {
        for (String name : file.tensors().keySet()) {
            if (!allowed.contains(name)) {
                throw new ModelLoadException(
                        file.path() + ": unexpected tensor '" + name + "' (expected " + allowed + ")");
            }
        }
    }

    private static float[][] matrix(SafetensorsFile file, String name) {
        TensorInfo info = tensor(file, name, 2);
        int rows = Math.toIntExact(info.shape()[0]);
        int columns = Math.toIntExact(info.shape()[1]);
        float[] values = floats(file, info);
        float[][] matrix = new float[rows][];
        for (int r = 0; r < rows; r++) {
            matrix[r] = Arrays.copyOfRange(values, r * columns, (r + 1) * columns);
        }
        return matrix;
    }

    private static float[] vector(SafetensorsFile file, String name) {
        return floats(file, tensor(file, name, 1));
    }

    private static TensorInfo tensor(SafetensorsFile file, String name, int rank) {
        Map<String, TensorInfo> tensors = file.tensors();
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelLoadException(file.path() + ": missing tensor '" + name + "'");
        }
        if (info.shape().length != rank) {
            throw new ModelLoadException(file.path() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(info.shape()) + ", expected rank " + rank);
        }
        return info;
    }

    private static float[] floats(SafetensorsFile file, TensorInfo info) {
        ByteBuffer bytes = file.map(info);
        float[] values = new float[Math.toIntExact(info.elementCount())];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (info.dtype()) {
                case F32 -> bytes.getFloat(4 * i);
                case F16 -> HalfFloats.fromF16(bytes.getShort(2 * i));
                case BF16 -> HalfFloats.fromBf16(bytes.getShort(2 * i));
                case I32 ->
                    throw new ModelLoadException(
                            file.path() + ": tensor '" + info.name() + "' holds integers, not floats");
            };
        }
        return values;
    }

    private static double[] toDoubles(float[] values) {
        double[] doubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            doubles[i] = values[i];
        }
        return doubles;
    }

    private static double[] uniform(int count) {
        double[] priors = new double[count];
        Arrays.fill(priors, 1.0 / count);
        return priors;
    }
}
