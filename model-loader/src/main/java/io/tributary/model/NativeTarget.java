package io.tributary.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;

/** Translates {@link LoadOptions} into DJL terms and prepares threads for inference. DJL stays in this module. */
public final class NativeTarget {

    private static final String ENGINE = "PyTorch";

    /** PyTorch keeps grad mode per thread and only the engine's first thread starts with it off. */
    private static final ThreadLocal<Boolean> GRAD_MODE_OFF = ThreadLocal.withInitial(() -> false);

    /**
     * The intra-op thread count chosen for the process, 0 for PyTorch's default. PyTorch applies its setting to
     * MKL per thread ({@code mkl_set_num_threads_local}), so a thread that reaches MKL's GEMM without going through
     * PyTorch's own parallel loop first would use every core: each inference thread applies it itself.
     */
    private static volatile int intraOpThreads;

    private NativeTarget() {
    }

    public static Device device(LoadOptions options) {
        return options.isGpu() ? Device.gpu(options.gpuIndex()) : Device.cpu();
    }

    public static DataType dataType(LoadOptions options) {
        return switch (options.precision()) {
            case FP32 -> DataType.FLOAT32;
            case FP16 -> DataType.FLOAT16;
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
     */
    public static <T> T onAllCores(java.util.function.Supplier<T> work) {
        int cores = Runtime.getRuntime().availableProcessors();
        int before = JniUtils.getNumThreads();
        if (before >= cores) {
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
