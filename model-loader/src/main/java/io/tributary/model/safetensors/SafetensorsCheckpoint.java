package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The weights of a Hugging Face checkpoint directory: either one {@code model.safetensors} or the shards listed by
 * {@code model.safetensors.index.json}. Looks tensors up by name across shards and turns them into NDArrays.
 */
public final class SafetensorsCheckpoint {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, SafetensorsFile> files;
    private final LoadProgress progress;

    private SafetensorsCheckpoint(Path directory, Map<String, TensorInfo> tensors, Map<Path, SafetensorsFile> files) {
        this.directory = directory;
        this.tensors = tensors;
        this.files = files;
        this.progress = new LoadProgress(directory, tensors.values().stream().mapToLong(TensorInfo::byteLength).sum());
    }

    public static SafetensorsCheckpoint open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(directory, index);
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new ModelLoadException(directory + ": no " + SINGLE_FILE + " and no " + INDEX_FILE);
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        return new SafetensorsCheckpoint(directory, file.tensors(), Map.of(single, file));
    }

    private static SafetensorsCheckpoint openSharded(Path directory, Path index) {
        JsonNode weightMap;
        try {
            weightMap = new ObjectMapper().readTree(index).path("weight_map");
        } catch (JacksonException e) {
            throw new ModelLoadException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!weightMap.isObject()) {
            throw new ModelLoadException(index + ": no 'weight_map' object");
        }
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            Path shard = directory.resolve(entry.getValue().asString());
            if (!Files.isRegularFile(shard)) {
                throw new ModelLoadException(index + ": tensor '" + entry.getKey() + "' is in shard " + shard
                        + ", which does not exist");
            }
            SafetensorsFile file = files.computeIfAbsent(shard, SafetensorsFile::open);
            TensorInfo info = file.tensors().get(entry.getKey());
            if (info == null) {
                throw new ModelLoadException(shard + ": tensor '" + entry.getKey() + "' is listed in " + index
                        + " but missing from the shard");
            }
            tensors.put(entry.getKey(), info);
        }
        // A tensor a shard holds but the index forgot would silently vanish: treat it like the index listed it.
        for (SafetensorsFile file : files.values()) {
            for (TensorInfo info : file.tensors().values()) {
                TensorInfo listed = tensors.putIfAbsent(info.name(), info);
                if (listed != null && !listed.file().equals(info.file())) {
                    throw new ModelLoadException(info.file() + ": tensor '" + info.name() + "' is also in "
                            + listed.file() + " (index " + index + ")");
                }
            }
        }
        return new SafetensorsCheckpoint(directory, Collections.unmodifiableMap(tensors), files);
    }

    public Path directory() {
        return directory;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public TensorInfo info(String name) {
        return find(name).orElseThrow(
                () -> new ModelLoadException(directory + ": tensor '" + name + "' is missing from the checkpoint"));
    }

    /** The tensor's raw little-endian bytes, memory-mapped. */
    public ByteBuffer bytes(String name) {
        TensorInfo info = info(name);
        return files.get(info.file()).map(info);
    }

    /**
     * The tensor as an NDArray of {@code target} type (FLOAT32 or FLOAT16) owned by {@code manager}. F32 and F16
     * tensors are read from the file straight into the array's own native memory when no conversion is needed (see
     * {@link SafetensorsFile#read}); BF16 is widened to F32 in Java first, since PyTorch's DJL binding cannot hold
     * BF16 without crashing the JVM.
     *
     * <p>Why a read and not an alias of the memory-mapped file: mapped pages count in the process's resident memory
     * until the mapping is garbage-collected, which is never prompt. A loader that fuses, scales or copies tensors
     * would hold the mapped originals and the results at once (1.3 GB extra for InternVL2.5-1B), while an array
     * read into its own memory is freed the moment it is closed. Measured on the 2-core VM this project runs on
     * (InternVL2.5-1B shapes, {@code RealShapeBenchmark}): decoding from read weights took 117-178 ms a token, from
     * mapped weights 190-814 ms and slowing over time, as the host reclaims and re-faults file-backed pages. The
     * price is load time: fresh anonymous memory is slow to hand out there (0.3-0.5 GB/s), mapping is not.
     */
    public NDArray load(String name, NDManager manager, DataType target) {
        TensorInfo info = info(name);
        progress.add(info.byteLength());
        SafetensorsFile file = files.get(info.file());
        NDArray stored = switch (info.dtype()) {
            case F32 -> file.read(info, manager, DataType.FLOAT32);
            case F16 -> file.read(info, manager, DataType.FLOAT16);
            case BF16 -> manager.create(widenBf16(info, bytes(name)), new Shape(info.shape()), DataType.FLOAT32);
        };
        if (stored.getDataType() == target) {
            return stored;
        }
        try (stored) {
            return stored.toType(target, true);
        }
    }

    /** bfloat16 is the top half of a float32: shifting its 16 bits up reproduces the value exactly. */
    static ByteBuffer widenBf16(TensorInfo info, ByteBuffer bf16) {
        long count = info.elementCount();
        if (count * 4 > Integer.MAX_VALUE) {
            throw new ModelLoadException(info.file() + ": tensor '" + info.name() + "' is too large to widen from"
                    + " BF16 in one buffer (" + count + " elements)");
        }
        ByteBuffer f32 = ByteBuffer.allocateDirect((int) count * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < count; i++) {
            int bits = bf16.getShort(2 * i) & 0xFFFF;
            f32.putInt(4 * i, bits << 16);
        }
        return f32;
    }
}
