package io.tributary.model.safetensors;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.ModelLoadException;
import io.tributary.model.WeightLoading;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

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
    private final WeightLoading loading;

    private SafetensorsCheckpoint(
            Path directory, Map<String, TensorInfo> tensors, Map<Path, SafetensorsFile> files, WeightLoading loading) {
        this.directory = directory;
        this.tensors = tensors;
        this.files = files;
        this.loading = loading;
        this.progress = new LoadProgress(
                directory,
                tensors.values().stream().mapToLong(TensorInfo::byteLength).sum());
    }

    /** Opens a checkpoint whose tensors are memory-mapped when they need no conversion (the default). */
    public static SafetensorsCheckpoint open(Path directory) {
        return open(directory, WeightLoading.MMAP);
    }

    public static SafetensorsCheckpoint open(Path directory, WeightLoading loading) {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(directory, index, loading);
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (!Files.isRegularFile(single)) {
            throw new ModelLoadException(directory + ": no " + SINGLE_FILE + " and no " + INDEX_FILE);
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        return new SafetensorsCheckpoint(directory, file.tensors(), Map.of(single, file), loading);
    }

    private static SafetensorsCheckpoint openSharded(Path directory, Path index, WeightLoading loading) {
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
                throw new ModelLoadException(
                        index + ": tensor '" + entry.getKey() + "' is in shard " + shard + ", which does not exist");
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
        return new SafetensorsCheckpoint(directory, Collections.unmodifiableMap(tensors), files, loading);
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
        return find(name)
                .orElseThrow(() ->
                        new ModelLoadException(directory + ": tensor '" + name + "' is missing from the checkpoint"));
    }

    /**
     * The tensor as an NDArray of {@code target} type (FLOAT32 or FLOAT16; INT32 for I32) owned by {@code manager}, on the
     * manager's device.
     * <ul>
     *   <li>Stored in the target type, on the CPU: with {@link WeightLoading#MMAP} the array is the file's mapped
     *       pages (read-only: never modify it in place); with {@link WeightLoading#READ} the bytes are read from the
     *       file straight into the array's own memory.</li>
     *   <li>Stored in another type: read into owned memory and converted there. BF16 is widened to F32 in Java,
     *       since PyTorch's DJL binding cannot hold BF16 without crashing the JVM.</li>
     *   <li>On a GPU: prepared on the CPU as above, copied to the device, converted there.</li>
     * </ul>
     * <p>Measured with {@code RealShapeBenchmark} on this project's 2-core VM, a fresh page of anonymous memory
     * costs more than reading it (0.3 GB/s), so {@code READ} is bounded by that and {@code MMAP} is not.
     */
    public NDArray load(String name, NDManager manager, DataType target) {
        TensorInfo info = info(name);
        progress.add(info.byteLength());
        if (!manager.getDevice().isGpu()) {
            return loadOnCpu(info, manager, target);
        }
        return viaHost(manager, target, host -> loadOnCpu(info, host, stored(info)));
    }

    /**
     * Tensors of equal trailing shape stacked along their first axis into one array owned by {@code manager}, in
     * the order given: fused projections that read the same input. When no conversion is needed, each tensor is
     * read straight into its rows of the result, so the fused weight costs one copy, not two.
     */
    public NDArray loadRows(List<String> names, NDManager manager, DataType target) {
        List<TensorInfo> parts = names.stream().map(this::info).toList();
        long[] trailing =
                Arrays.copyOfRange(parts.get(0).shape(), 1, parts.get(0).shape().length);
        long rows = 0;
        long bytes = 0;
        boolean sameType = true;
        for (TensorInfo part : parts) {
            if (part.shape().length == 0
                    || !Arrays.equals(trailing, Arrays.copyOfRange(part.shape(), 1, part.shape().length))) {
                throw new ModelLoadException(
                        part.file() + ": tensor '" + part.name() + "' has shape " + Arrays.toString(part.shape())
                                + " and cannot be stacked with '" + parts.get(0).name() + "'");
            }
            rows += part.shape()[0];
            bytes += part.byteLength();
            sameType &= part.dtype() != SafetensorsDType.BF16 && stored(part) == target;
        }
        if (manager.getDevice().isGpu() || !sameType || bytes > Integer.MAX_VALUE) {
            NDList loaded = new NDList(parts.size());
            try (loaded) {
                names.forEach(name -> loaded.add(load(name, manager, target)));
                return NDArrays.concat(loaded, 0);
            }
        }
        long[] shape = new long[trailing.length + 1];
        shape[0] = rows;
        System.arraycopy(trailing, 0, shape, 1, trailing.length);
        NDArray fused = manager.create(new Shape(shape), target);
        try {
            ByteBuffer view = OwnedMemory.view(fused);
            int at = 0;
            for (TensorInfo part : parts) {
                progress.add(part.byteLength());
                files.get(part.file()).readInto(part, view.slice(at, (int) part.byteLength()));
                at += (int) part.byteLength();
            }
            OwnedMemory.checkLanded(fused, view);
            return fused;
        } catch (RuntimeException e) {
            fused.close();
            throw e;
        }
    }

    /**
     * Rows {@code [from, to)} of a tensor's first axis, read into a new array of {@code target} type owned by
     * {@code manager} (on a GPU: read on the CPU, then copied): never the file's mapped pages, so nothing of the file stays resident once the array is closed.
     * Packing a weight into fewer bytes reads it this way, a block of rows at a time, so that loading holds the
     * packed weights and one block, never the checkpoint's full-precision copy.
     */
    public NDArray loadRowRange(String name, long from, long to, NDManager manager, DataType target) {
        TensorInfo rows = info(name).rows(from, to);
        progress.add(rows.byteLength());
        if (!manager.getDevice().isGpu()) {
            return readOnCpu(rows, manager, target);
        }
        return viaHost(manager, target, host -> readOnCpu(rows, host, stored(rows)));
    }

    /** An array {@code read} prepares on the CPU, copied to {@code manager}'s GPU and converted there. */
    private static NDArray viaHost(NDManager manager, DataType target, Function<NDManager, NDArray> read) {
        try (NDManager host =
                NDManager.newBaseManager(Device.cpu(), manager.getEngine().getEngineName())) {
            NDArray onDevice = read.apply(host).toDevice(manager.getDevice(), true);
            NDArray converted = onDevice.getDataType() == target ? onDevice : onDevice.toType(target, false);
            converted.attach(manager);
            return converted;
        }
    }

    private NDArray readOnCpu(TensorInfo rows, NDManager manager, DataType target) {
        SafetensorsFile file = files.get(rows.file());
        if (rows.dtype() == SafetensorsDType.BF16) {
            return converted(file.readWidened(rows, manager), target);
        }
        return converted(file.read(rows, manager, stored(rows)), target);
    }

    private NDArray loadOnCpu(TensorInfo info, NDManager manager, DataType target) {
        SafetensorsFile file = files.get(info.file());
        if (info.dtype() == SafetensorsDType.BF16) {
            return converted(file.readWidened(info, manager), target);
        }
        DataType stored = stored(info);
        if (stored == target && loading == WeightLoading.MMAP) {
            return file.alias(info, manager, stored);
        }
        return converted(file.read(info, manager, stored), target);
    }

    /** The array type a tensor is held in before any conversion: BF16 only exists widened. */
    private static DataType stored(TensorInfo info) {
        return switch (info.dtype()) {
            case F32, BF16 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case I32 -> DataType.INT32;
        };
    }

    private static NDArray converted(NDArray array, DataType target) {
        if (array.getDataType() == target) {
            return array;
        }
        try (array) {
            return array.toType(target, true);
        }
    }
}
