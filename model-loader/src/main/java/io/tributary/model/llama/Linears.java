package io.tributary.model.llama;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.AwqProjections;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.kernel.WeightPacker.RowSource;

import java.util.ArrayList;
import java.util.List;

/**
 * A decoder's linear layers by module name ({@code model.layers.0.mlp.up_proj}): float weights turned by the load
 * options' {@link WeightPacker}, AWQ-quantised ones ({@link LlamaConfig#awq}) straight into int4 kernel weights.
 */
final class Linears {

    private final CheckpointTensors tensors;
    private final WeightPacker packer;
    private final NDManager manager;
    private final DataType dataType;
    private final AwqProjections awq; // null: every linear layer is stored in float

    Linears(CheckpointTensors tensors, LlamaConfig config, WeightPacker packer, NDManager manager, DataType dataType) {
        this.tensors = tensors;
        this.packer = packer;
        this.manager = manager;
        this.dataType = dataType;
        this.awq = config.awq()
                .map(awqConfig -> AwqProjections.open(tensors, awqConfig, packer, manager, dataType))
                .orElse(null);
    }

    Projection single(String module) {
        if (quantised(List.of(module))) {
            return awq.load(List.of(module), 0, 1f);
        }
        return packer.linear(tensors, List.of(RowSource.of(module + ".weight")), manager, dataType);
    }

    /** The modules' weights stacked along their outputs, the first {@code scaledRows} multiplied by {@code scale}. */
    Projection fused(List<String> modules, long scaledRows, float scale) {
        if (quantised(modules)) {
            return awq.load(modules, scaledRows, scale);
        }
        List<RowSource> sources = new ArrayList<>();
        for (String module : modules) {
            sources.add(
                    sources.isEmpty() ? new RowSource(module + ".weight", scale) : RowSource.of(module + ".weight"));
        }
        if (tensors.shape(modules.get(0) + ".weight")[0] != scaledRows) {
            throw new IllegalArgumentException("the scaled rows must be the first module's");
        }
        return packer.linear(tensors, sources, manager, dataType);
    }

    private boolean quantised(List<String> modules) {
        if (awq == null) {
            return false;
        }
        long converted = modules.stream().filter(awq::converts).count();
        if (converted != 0 && converted != modules.size()) {
            throw new ModelLoadException(tensors.directory() + ": " + modules + " are fused into one projection, but"
                    + " modules_to_not_convert leaves only some of them in float");
        }
        return converted != 0;
    }
}
