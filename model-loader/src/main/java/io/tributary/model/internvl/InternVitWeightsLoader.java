package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.SafetensorsCheckpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Loads {@link InternVitWeights} by checkpoint name in either {@link InternVlLayout}. The checkpoint is first checked
 * against the config: every missing or mis-shaped vision or projector tensor, and every unexpected one under the
 * vision and projector prefixes, is reported by name and file before anything is loaded.
 */
final class InternVitWeightsLoader {

    private InternVitWeightsLoader() {}

    /** Which layout a checkpoint uses, from its patch embedding's name. */
    static InternVlLayout detectLayout(SafetensorsCheckpoint checkpoint) {
        for (InternVlLayout layout : InternVlLayout.values()) {
            if (checkpoint.find(layout.patchEmbedding("weight")).isPresent()) {
                return layout;
            }
        }
        throw new ModelLoadException(checkpoint.directory() + ": no InternViT patch embedding ("
                + InternVlLayout.ORIGINAL.patchEmbedding("weight") + " or "
                + InternVlLayout.TRANSFORMERS.patchEmbedding("weight") + ")");
    }

    static InternVitWeights load(
            SafetensorsCheckpoint checkpoint,
            InternVlLayout layout,
            InternVlConfig config,
            NDManager manager,
            DataType dataType) {
        validate(checkpoint, layout, expectedShapes(layout, config));
        InternVisionConfig v = config.vision();
        Tensors t = new Tensors(checkpoint, manager, dataType);
        List<InternVitWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.layersToRun(); i++) {
            layers.add(layer(t, layout, v, i));
        }
        // Views of loaded arrays, which stay open in the manager: they may be the file's mapped pages.
        NDArray positions = t.load(layout.positionEmbedding()).squeeze(0); // [G*G + 1, H]
        NDArray classToken =
                t.load(layout.classEmbedding()).reshape(1, v.hiddenSize()).add(positions.get(new NDIndex("0:1")));
        return new InternVitWeights(
                t.load(layout.patchEmbedding("weight")).reshape(v.hiddenSize(), -1),
                t.load(layout.patchEmbedding("bias")),
                classToken,
                positions.get(new NDIndex("1:")),
                layers,
                new InternVitWeights.Projector(
                        t.load(layout.projector(0, "weight")),
                        t.load(layout.projector(0, "bias")),
                        t.load(layout.projector(1, "weight")),
                        t.load(layout.projector(1, "bias")),
                        t.load(layout.projector(3, "weight")),
                        t.load(layout.projector(3, "bias"))));
    }

    private static InternVitWeights.Layer layer(Tensors t, InternVlLayout layout, InternVisionConfig v, int i) {
        boolean layerNorm = v.normType() == InternVisionConfig.NormType.LAYER_NORM;
        NDArray qkv;
        NDArray qkvBias = null;
        if (layout.fusedQkv()) {
            qkv = t.load(layout.layer(i, "attn.qkv.weight"));
            if (v.qkvBias()) {
                qkvBias = t.load(layout.layer(i, "attn.qkv.bias"));
            }
        } else {
            qkv = t.rows(
                    layout.layer(i, "attn.q.weight"),
                    layout.layer(i, "attn.k.weight"),
                    layout.layer(i, "attn.v.weight"));
            if (v.qkvBias()) {
                qkvBias = t.rows(
                        layout.layer(i, "attn.q.bias"), layout.layer(i, "attn.k.bias"), layout.layer(i, "attn.v.bias"));
            }
        }
        return new InternVitWeights.Layer(
                t.load(layout.layer(i, "norm1.weight")),
                layerNorm ? t.load(layout.layer(i, "norm1.bias")) : null,
                qkv,
                qkvBias,
                t.load(layout.layer(i, "attn.proj.weight")),
                t.load(layout.layer(i, "attn.proj.bias")),
                t.load(layout.layer(i, "ls1")),
                t.load(layout.layer(i, "norm2.weight")),
                layerNorm ? t.load(layout.layer(i, "norm2.bias")) : null,
                t.load(layout.layer(i, "mlp.fc1.weight")),
                t.load(layout.layer(i, "mlp.fc1.bias")),
                t.load(layout.layer(i, "mlp.fc2.weight")),
                t.load(layout.layer(i, "mlp.fc2.bias")),
                t.load(layout.layer(i, "ls2")));
    }

    /** Name to shape of every vision and projector tensor a checkpoint of this config holds. */
    static Map<String, long[]> expectedShapes(InternVlLayout layout, InternVlConfig config) {
        InternVisionConfig v = config.vision();
        long h = v.hiddenSize();
        long inter = v.intermediateSize();
        long p = v.patchSize();
        long positions = (long) v.gridSize() * v.gridSize() + 1;
        long shuffled = h * config.shuffleFactor() * config.shuffleFactor();
        long llm = config.llmHiddenSize();
        boolean layerNorm = v.normType() == InternVisionConfig.NormType.LAYER_NORM;
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put(layout.classEmbedding(), new long[] {1, 1, h});
        s.put(layout.patchEmbedding("weight"), new long[] {h, 3, p, p});
        s.put(layout.patchEmbedding("bias"), new long[] {h});
        s.put(layout.positionEmbedding(), new long[] {1, positions, h});
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            for (String norm : new String[] {"norm1", "norm2"}) {
                s.put(layout.layer(i, norm + ".weight"), new long[] {h});
                if (layerNorm) {
                    s.put(layout.layer(i, norm + ".bias"), new long[] {h});
                }
            }
            if (layout.fusedQkv()) {
                s.put(layout.layer(i, "attn.qkv.weight"), new long[] {3 * h, h});
                if (v.qkvBias()) {
                    s.put(layout.layer(i, "attn.qkv.bias"), new long[] {3 * h});
                }
            } else {
                for (String x : new String[] {"q", "k", "v"}) {
                    s.put(layout.layer(i, "attn." + x + ".weight"), new long[] {h, h});
                    if (v.qkvBias()) {
                        s.put(layout.layer(i, "attn." + x + ".bias"), new long[] {h});
                    }
                }
            }
            s.put(layout.layer(i, "attn.proj.weight"), new long[] {h, h});
            s.put(layout.layer(i, "attn.proj.bias"), new long[] {h});
            s.put(layout.layer(i, "ls1"), new long[] {h});
            s.put(layout.layer(i, "mlp.fc1.weight"), new long[] {inter, h});
            s.put(layout.layer(i, "mlp.fc1.bias"), new long[] {inter});
            s.put(layout.layer(i, "mlp.fc2.weight"), new long[] {h, inter});
            s.put(layout.layer(i, "mlp.fc2.bias"), new long[] {h});
            s.put(layout.layer(i, "ls2"), new long[] {h});
        }
        s.put(layout.projector(0, "weight"), new long[] {shuffled});
        s.put(layout.projector(0, "bias"), new long[] {shuffled});
        s.put(layout.projector(1, "weight"), new long[] {llm, shuffled});
        s.put(layout.projector(1, "bias"), new long[] {llm});
        s.put(layout.projector(3, "weight"), new long[] {llm, llm});
        s.put(layout.projector(3, "bias"), new long[] {llm});
        return s;
    }

    private static void validate(
            SafetensorsCheckpoint checkpoint, InternVlLayout layout, Map<String, long[]> expected) {
        List<String> problems = new ArrayList<>();
        expected.forEach((name, shape) -> checkpoint
                .find(name)
                .ifPresentOrElse(
                        info -> {
                            if (!Arrays.equals(info.shape(), shape)) {
                                problems.add("tensor '" + name + "' in " + info.file() + " has shape "
                                        + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape));
                            }
                        },
                        () -> problems.add("tensor '" + name + "' is missing from " + checkpoint.directory())));
        for (String name : checkpoint.names()) {
            if (layout.owns(name) && !expected.containsKey(name)) {
                problems.add("unexpected tensor '" + name + "' in "
                        + checkpoint.info(name).file());
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelLoadException("InternVL checkpoint " + checkpoint.directory()
                    + " does not match its config.json: " + String.join("; ", problems));
        }
    }

    /** Loads tensors in the model's type, naming the tensor and file if the engine refuses one. */
    private record Tensors(SafetensorsCheckpoint checkpoint, NDManager manager, DataType dataType) {
        NDArray load(String name) {
            return named(List.of(name), () -> checkpoint.load(name, manager, dataType));
        }

        /** Tensors stacked along their first axis (the transformers layout's q, k and v). */
        NDArray rows(String... names) {
            return named(List.of(names), () -> checkpoint.loadRows(List.of(names), manager, dataType));
        }

        private NDArray named(List<String> names, Supplier<NDArray> loader) {
            try {
                return loader.get();
            } catch (ModelLoadException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ModelLoadException(
                        checkpoint.info(names.get(0)).file() + ": cannot load tensor '" + String.join("', '", names)
                                + "': " + e.getMessage(),
                        e);
            }
        }
    }
}
