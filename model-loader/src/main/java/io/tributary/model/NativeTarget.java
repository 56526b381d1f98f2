package io.tributary.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;

/** Translates {@link LoadOptions} into DJL terms and prepares threads for inference. DJL stays in this module. */
public final class NativeTarget {

    public static final String ENGINE = "PyTorch";

    /** PyTorch keeps grad mode per thread and only the engine's first thread starts with it off. */
    private static final ThreadLocal<Boolean> GRAD_MODE_OFF = ThreadLocal.withInitial(() -> false);

    /**
     * The intra-op thread count chosen for the process, 0 for PyTorch's default. PyTorch applies its setting to
     * MKL per thread ({@code mkl_set_num_threads_local}), so a thread that reaches MKL's GEMM without going through
     * PyTorch's own parallel loop first would use every core: each inference thread applies it itself.
     */
    private static volatile int intraOpThreads;

    private NativeTarget() {}

    public static Device device(LoadOptions options) {
        return options.isGpu() ? Device.gpu(options.gpuIndex()) : Device.cpu();
    }

    /**
     * Checks that the configured device exists for the PyTorch library this process loaded (loading it on first
     * use): {@code cuda:N} needs a CUDA build of libtorch and a visible GPU N. Nothing to check for the CPU.
     *
     * @throws UnsupportedDeviceException saying what to install or change
     */
    public static void requireDevice(LoadOptions options) {
        if (!options.isGpu()) {
            return;
        }
        Engine engine = Engine.getEngine(ENGINE);
        String library = "the PyTorch library loaded (libtorch " + engine.getVersion() + " from "
                + LibUtils.getLibtorchPath() + ")";
        if (!engine.hasCapability(StandardCapabilities.CUDA)) {
            throw new UnsupportedDeviceException(
                    options.device(), library + " is a CPU-only build", cudaRemedy(engine));
        }
        int gpus = engine.getGpuCount();
        if (options.gpuIndex() >= gpus) {
            throw new UnsupportedDeviceException(
                    options.device(),
                    gpus == 0
                            ? library + " has CUDA, but no GPU is visible to this process"
                            : "only " + gpus + " GPU(s) are visible to this process (cuda:0 to cuda:" + (gpus - 1)
                                    + ")",
                    "Check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES, or choose a visible GPU or the "
                            + "cpu device");
        }
    }

    /** How to give DJL a CUDA libtorch: environment variables for an existing installation, or a CUDA artifact. */
    static String cudaRemedy(Engine engine) {
        String version = engine.getVersion();
        return "To run on a GPU, give the server a CUDA build of libtorch " + version + " (the version its JNI "
                + "library, ai.djl.pytorch:pytorch-jni " + version + "-" + Engine.getDjlVersion() + ", is built for): "
                + "set PYTORCH_LIBRARY_PATH to that libtorch's lib directory, PYTORCH_FLAVOR to its CUDA flavour "
                + "(e.g. cu126 or cu128) and PYTORCH_VERSION=" + version + "; or build the server with the "
                + "ai.djl.pytorch:pytorch-native-cuNNN artifact (classifier linux-x86_64) of that version instead of "
                + "pytorch-native-cpu. Otherwise run on the cpu device";
    }

    public static DataType dataType(LoadOptions options) {
        return switch (options.precision()) {
            case FP32, BF16 -> DataType.FLOAT32; // bf16 weights live outside DJL; see kernel.PackedProjection
            case FP16 -> DataType.FLOAT16;
            case AUTO -> throw new IllegalStateException("precision auto is resolved per checkpoint before loading");
        };
    }

    /** A root manager for one model's weights; sessions and steps hang below it. */
    public static NDManager newModelManager(LoadOptions options, String name) {
        NDManager manager = NDManager.newBaseManager(device(options), ENGINE);
        manager.setName(name);
        return manager;
    }

    /**
     * Turns autograd off on the calling thread, once, and applies the process's intra-op thread count to it
     * ({@link #setIntraOpThreads}). Without the first, every op records a graph and memory grows with each decoding
     * step; without the second, MKL would run this thread's matmuls on every core, beside the threads that already
     * use them.
     */
    public static void prepareInferenceThread() {
        if (!GRAD_MODE_OFF.get()) {
            Engine.getEngine(ENGINE); // loads the native library on first use
            JniUtils.setGradMode(false);
            int threads = intraOpThreads;
            if (threads > 0) {
                JniUtils.setNumThreads(threads);
            }
            GRAD_MODE_OFF.set(true);
        }
    }

    /**
     * Sets PyTorch's intra-op threads for the whole process. One thread is fastest for batched decoding on a few
     * CPU cores: the decoding thread keeps one core busy, and a second intra-op thread spinning beside it slows the
     * HTTP and streaming threads more than it speeds small matmuls. {@code 0} keeps PyTorch's default (one per core).
     */
    public static void setIntraOpThreads(int threads) {
        if (threads > 0) {
            Engine.getEngine(ENGINE); // loads the native library on first use
            intraOpThreads = threads;
            JniUtils.setNumThreads(threads);
        }
    }

    /**
     * Runs {@code work} with PyTorch using every core on the calling thread, then restores its thread count. For
     * compute-bound work (a vision tower encoding an image) that the one-thread default would leave at half speed.
     * While autograd records (training), the thread count the trainer chose is kept.
     */
    public static <T> T onAllCores(java.util.function.Supplier<T> work) {
        int cores = Runtime.getRuntime().availableProcessors();
        int before = JniUtils.getNumThreads();
        if (before >= cores || JniUtils.isGradMode()) {
            return work.get();
        }
        JniUtils.setNumThreads(cores);
        try {
            return work.get();
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /**
     * Live NDArrays owned by {@code manager} and, recursively, by its sub-managers (sessions, steps). Closed
     * arrays detach from their manager, so this is the count of native tensors still held.
     */
    public static int liveArrays(NDManager manager) {
        return manager.getManagedArrays().size();
    }
}
