package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.AwqConfig;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The linear layers of an AWQ checkpoint ({@link AwqConfig}) turned straight into int4 kernel weights: the stored
 * 4-bit values are unpacked and repacked with their own scales and zero points, never dequantised to float and
 * quantised again, so the served weights are the checkpoint's.
 */
public final class AwqProjections {

    private static final Logger LOG = LoggerFactory.getLogger(AwqProjections.class);

    private final CheckpointTensors tensors;
    private final AwqConfig config;
    private final Kernels kernels;
    private final NDManager owner;

    private AwqProjections(CheckpointTensors tensors, AwqConfig config, Kernels kernels, NDManager owner) {
        this.tensors = tensors;
        this.config = config;
        this.kernels = kernels;
        this.owner = owner;
    }

    /**
     * Checks that the load options can serve AWQ weights and compiles the kernels into {@code owner}. Quantization
     * none and int4 both serve the checkpoint's int4 weights (its group size wins over the options'); int8 would
     * mean requantising weights already rounded to 4 bits, so it is refused, as are a GPU (the int4 kernel is ATen's
     * CPU one) and fp16 activations (the kernel takes float32 ones and computes in bf16).
     *
     * @param packer      the options' packer, which still packs any linear layer the checkpoint keeps in float
     * @param activations the activations' type
     */
    public static AwqProjections open(
            CheckpointTensors tensors, AwqConfig config, WeightPacker packer, NDManager owner, DataType activations) {
        String checkpoint = tensors.directory() + " is an AWQ int4 checkpoint (groups of " + config.groupSize() + ")";
        if (packer.format().orElse(null) == PackedProjection.Format.INT8) {
            throw new ModelLoadException(checkpoint + ": its weights are already 4-bit and cannot be served as int8;"
                    + " load it with quantization none or int4");
        }
        if (owner.getDevice().isGpu()) {
            throw new ModelLoadException(checkpoint + ": its int4 weights run on the CPU kernel only; load it on the"
                    + " CPU, or load an unquantised checkpoint on the GPU");
        }
        if (activations != DataType.FLOAT32) {
            throw new ModelLoadException(checkpoint + ": the int4 kernel takes float32 activations; load it with"
                    + " precision fp32 or bf16, not " + activations);
        }
        LOG.info(
                "{}: its decoder's linear layers are served as stored, in int4, whatever the quantization option; the"
                        + " load options ({}) apply to the layers it keeps in float, such as the output head",
                checkpoint,
                packer);
        return new AwqProjections(tensors, config, Kernels.load(owner), owner);
    }

    /** Whether {@code module} is stored quantised, rather than kept in float by {@code modules_to_not_convert}. */
    public boolean converts(String module) {
        return config.converts(module);
    }

    /**
     * The linear layers {@code modules} (e.g. {@code model.layers.0.self_attn.q_proj}) stacked along their outputs
     * into one projection, the first {@code scaledRows} outputs multiplied by {@code scale}: a fused q/k/v whose q
     * rows carry the attention scale. The scale goes into the scales, and so into the zeros the kernel derives
     * from them, as w = (q - z) * (s * scale).
     */
    public Projection load(List<String> modules, long scaledRows, float scale) {
        try (NDManager scope = owner.newSubManager()) {
            NDArray qweight = stacked(modules, "qweight", scope, DataType.INT32);
            NDArray qzeros = stacked(modules, "qzeros", scope, DataType.INT32);
            NDArray scales = stacked(modules, "scales", scope, DataType.FLOAT32); // [in/group, out]
            if (scaledRows > 0) {
                float[] factors = new float[Math.toIntExact(scales.getShape().get(1))];
                for (int i = 0; i < factors.length; i++) {
                    factors[i] = i < scaledRows ? scale : 1f;
                }
                scales = scales.mul(scope.create(factors)); // a new array: a mapped tensor is read-only
            }
            NDArray q = kernels.unpackAwq(qweight).transpose(); // [in, out] -> [out, in]
            NDArray zeroPoints = kernels.unpackAwq(qzeros); // [in/group, out]
            return WeightPacker.quantizedInt4(kernels, q, scales, zeroPoints, config.groupSize(), owner);
        }
    }

    /** {@code module.part} of each module side by side along the outputs, the last axis of every AWQ tensor. */
    private NDArray stacked(List<String> modules, String part, NDManager scope, DataType type) {
        NDList loaded = new NDList(modules.size());
        for (String module : modules) {
            String name = module + "." + part;
            if (type == DataType.INT32) {
                TensorInfo info = tensors.find(name).orElseThrow();
                if (info.dtype() != SafetensorsDType.I32) {
                    throw new ModelLoadException("tensor " + tensors.describe(name) + " is " + info.dtype()
                            + ", expected I32 (AWQ packing)");
                }
            }
            loaded.add(tensors.load(name, scope, type));
        }
        return loaded.size() == 1 ? loaded.get(0) : NDArrays.concat(loaded, 1);
    }
}
