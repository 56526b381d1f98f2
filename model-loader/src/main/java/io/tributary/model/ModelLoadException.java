package io.tributary.model;

/**
 * A checkpoint cannot be loaded: a missing file, a corrupt header, a missing, unexpected or mis-shaped tensor,
 * an unsupported architecture. The message always names the file and, where there is one, the tensor, so an
 * operator can fix the checkpoint without reading code.
 */
public class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
