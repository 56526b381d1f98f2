package io.tributary.server.mixture;

import java.nio.file.Path;

/**
 * A mixture manifest that cannot be served, found before any expert loads. The message names the file, the key
 * (e.g. {@code experts[1].path}, {@code router.temperature}) and what was expected, so that an operator can fix the
 * manifest without reading code.
 */
public final class InvalidManifestException extends RuntimeException {

    private final transient Path file;
    private final String key;
    private final String problem;

    /**
     * @param key where in the manifest, e.g. {@code router.top_k}; {@code null} for the file as a whole
     */
    public InvalidManifestException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    public InvalidManifestException(Path file, String key, String problem, Throwable cause) {
        super("mixture manifest " + file + ": " + (key == null ? "" : key + ": ") + problem, cause);
        this.file = file;
        this.key = key;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    /** The key path of the mistake, or {@code null} when it concerns the whole file. */
    public String key() {
        return key;
    }

    public String problem() {
        return problem;
    }
}
