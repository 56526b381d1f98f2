package io.tributary.model;

/**
 * The configured device cannot be used with the PyTorch library this process loaded: a {@code cuda:N} device on a
 * CPU-only build of libtorch, or a GPU index the machine does not have. The message says what to install or change.
 */
public final class UnsupportedDeviceException extends RuntimeException {

    private final String device;
    private final String problem;
    private final String remedy;

    public UnsupportedDeviceException(String device, String problem, String remedy) {
        super("device " + device + ": " + problem + ". " + remedy);
        this.device = device;
        this.problem = problem;
        this.remedy = remedy;
    }

    public String device() {
        return device;
    }

    /** Why the device cannot be used. */
    public String problem() {
        return problem;
    }

    /** What to install or change, in one or two sentences. */
    public String remedy() {
        return remedy;
    }
}
