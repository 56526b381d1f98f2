package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.WeightLoading;
import io.tributary.model.safetensors.SafetensorsCheckpoint;
import io.tributary.model.safetensors.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A checkpoint's tensors under their canonical names ({@link KeyLayout}): model code asks for
 * {@code model.layers.0.self_attn.q_proj.weight} whichever spelling the file uses, and every message still names
 * the key as written in the file, and the file.
 */
public final class CheckpointTensors {

    private final SafetensorsCheckpoint checkpoint;
    private final KeyLayout layout;
    private final Map<String, String> originalByCanonical;

    private CheckpointTensors(SafetensorsCheckpoint checkpoint, KeyLayout layout, Map<String, String> originals) {
        this.checkpoint = checkpoint;
        this.layout = layout;
        this.originalByCanonical = originals;
    }

    /** Opens the safetensors weights of {@code directory} and normalises their names. */
    public static CheckpointTensors open(Path directory, WeightLoading loading) {
        return of(SafetensorsCheckpoint.open(directory, loading));
    }

    /** As above, with weights mapped where they need no conversion (the default). */
    public static CheckpointTensors open(Path directory) {
        return open(directory, WeightLoading.MMAP);
    }

    public static CheckpointTensors of(SafetensorsCheckpoint checkpoint) {
        KeyLayout layout;
        try {
            layout = KeyLayout.detect(checkpoint.names());
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(checkpoint.directory() + ": " + e.getMessage(), e);
        }
        Map<String, String> originals = new LinkedHashMap<>();
        for (String original : checkpoint.names()) {
            String canonical = layout.canonical(original);
            String clash = originals.putIfAbsent(canonical, original);
            if (clash != null) {
                throw new ModelLoadException(checkpoint.info(original).file() + ": tensors '" + clash + "' and '"
                        + original + "' both mean '" + canonical + "'");
            }
        }
        return new CheckpointTensors(checkpoint, layout, Collections.unmodifiableMap(originals));
    }

    public Path directory() {
        return checkpoint.directory();
    }

    public KeyLayout layout() {
        return layout;
    }

    /** Canonical names, in file order. */
    public Set<String> names() {
        return originalByCanonical.keySet();
    }

    public boolean contains(String canonical) {
        return originalByCanonical.containsKey(canonical);
    }

    /** Where the tensor lies; its {@code name()} is the key as written in the file. */
    public Optional<TensorInfo> find(String canonical) {
        return Optional.ofNullable(originalByCanonical.get(canonical)).map(checkpoint::info);
    }

    /** The key as written in the file, or as this file's layout would write it if it is absent. */
    public String originalName(String canonical) {
        return originalByCanonical.getOrDefault(canonical, layout.spell(canonical));
    }

    /** "'key' in file": how messages name a tensor. */
    public String describe(String canonical) {
        return find(canonical)
                .map(info -> "'" + info.name() + "' in " + info.file())
                .orElse("'" + originalName(canonical) + "' in " + checkpoint.directory());
    }

    /**
     * Checks the whole checkpoint against the tensors a model needs: every missing, mis-shaped or unexpected
     * tensor is reported in one exception, by its name in the file and the file.
     *
     * @param expected canonical name to shape
     * @param ignored  canonical names that may be present and are not read (recomputed buffers, tied copies)
     * @param family   for the message: "Llama", "LLaVA", ...
     */
    public void validate(Map<String, long[]> expected, Predicate<String> ignored, String family) {
        List<String> problems = new ArrayList<>();
        expected.forEach((name, shape) -> find(name)
                .ifPresentOrElse(
                        info -> {
                            if (!Arrays.equals(info.shape(), shape)) {
                                problems.add("tensor '" + info.name() + "' in " + info.file() + " has shape "
                                        + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape));
                            }
                        },
                        () -> problems.add("tensor '" + originalName(name) + "' is missing from " + directory())));
        for (String name : names()) {
            if (!expected.containsKey(name) && !ignored.test(name)) {
                TensorInfo info = find(name).orElseThrow();
                problems.add("unexpected tensor '" + info.name() + "' in " + info.file());
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelLoadException(family + " checkpoint " + directory() + " does not match its config.json: "
                    + String.join("; ", problems));
        }
    }

    /**
     * The tensor as an NDArray of {@code target} type owned by {@code manager} (see
     * {@link SafetensorsCheckpoint#load}: it may be the file's read-only pages), naming the tensor and file if the
     * engine refuses it.
     */
    public NDArray load(String canonical, NDManager manager, DataType target) {
        return named(List.of(canonical), originals -> checkpoint.load(originals.get(0), manager, target));
    }

    /** Tensors stacked along their first axis into one new array (see {@link SafetensorsCheckpoint#loadRows}). */
    public NDArray loadRows(List<String> canonical, NDManager manager, DataType target) {
        return named(canonical, originals -> checkpoint.loadRows(originals, manager, target));
    }

    /** Rows {@code [from, to)} of a tensor (see {@link SafetensorsCheckpoint#loadRowRange}). */
    public NDArray loadRowRange(String canonical, long from, long to, NDManager manager, DataType target) {
        return named(
                List.of(canonical), originals -> checkpoint.loadRowRange(originals.get(0), from, to, manager, target));
    }

    /** The tensor's shape, by canonical name. */
    public long[] shape(String canonical) {
        return find(canonical)
                .orElseThrow(() -> new ModelLoadException(
                        "tensor '" + layout.spell(canonical) + "' is missing from " + directory()))
                .shape();
    }

    private NDArray named(List<String> canonical, Function<List<String>, NDArray> loader) {
        List<String> originals = new ArrayList<>();
        for (String name : canonical) {
            String original = originalByCanonical.get(name);
            if (original == null) {
                throw new ModelLoadException("tensor '" + layout.spell(name) + "' is missing from " + directory());
            }
            originals.add(original);
        }
        try {
            return loader.apply(originals);
        } catch (ModelLoadException e) {
            throw e;
        } catch (RuntimeException e) {
            TensorInfo first = checkpoint.info(originals.get(0));
            throw new ModelLoadException(
                    first.file() + ": cannot load tensor" + (originals.size() > 1 ? "s " : " ")
                            + originals.stream().map(o -> "'" + o + "'").collect(Collectors.joining(", ")) + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
