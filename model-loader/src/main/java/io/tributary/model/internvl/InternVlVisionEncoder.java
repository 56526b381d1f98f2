package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.PixelValues;
import io.tributary.model.safetensors.SafetensorsCheckpoint;

import java.nio.file.Path;
import java.util.List;

/**
 * The vision half of an InternVL checkpoint (InternViT, pixel shuffle, projector), loaded from a checkpoint
 * directory in either layout. It turns preprocessed tiles ({@link io.tributary.model.image.InternVlImageProcessor})
 * into rows of the language model's input embeddings: {@link #tokensPerTile()} rows per tile, in tile order, each
 * replacing one {@code <IMG_CONTEXT>} token. Owns its weights: close it to free them.
 */
public final class InternVlVisionEncoder implements AutoCloseable {

    private final InternVlConfig config;
    private final NDManager manager;
    private final InternVitModel model;
    private final DataType dataType;

    private InternVlVisionEncoder(InternVlConfig config, NDManager manager, InternVitModel model, DataType dataType) {
        this.config = config;
        this.manager = manager;
        this.model = model;
        this.dataType = dataType;
    }

    public static InternVlVisionEncoder load(Path directory, LoadOptions options) {
        InternVlConfig config = InternVlConfig.read(directory);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(directory, options.weightLoading());
        InternVlLayout layout = InternVitWeightsLoader.detectLayout(checkpoint);
        NativeTarget.prepareInferenceThread();
        NDManager manager = NativeTarget.newModelManager(options, "internvl-vision:" + directory.getFileName());
        try {
            DataType dataType = NativeTarget.dataType(options);
            InternVitWeights weights = InternVitWeightsLoader.load(checkpoint, layout, config, manager, dataType);
            return new InternVlVisionEncoder(config, manager, new InternVitModel(config, weights), dataType);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public InternVlConfig config() {
        return config;
    }

    /** 256 for 448-px tiles of 14-px patches with downsample 0.5. */
    public int tokensPerTile() {
        return config.tokensPerTile();
    }

    /** The language model's hidden size: the width of each image token. */
    public int outputWidth() {
        return config.llmHiddenSize();
    }

    /**
     * Image tokens for {@code tiles}, in order: [tiles * tokensPerTile, L] in the weights' type,
     * owned by {@code step}. Call on a thread prepared with {@link NativeTarget#prepareInferenceThread()}.
     */
    public NDArray encode(List<PixelValues> tiles, NDManager step) {
        return model.forward(pixels(tiles, config, dataType, step));
    }

    /** Tiles stacked into the encoder's input [tiles, 3, S, S] in {@code dataType}, checking each tile's size. */
    static NDArray pixels(List<PixelValues> tiles, InternVlConfig config, DataType dataType, NDManager step) {
        int size = config.vision().imageSize();
        float[] pixels = new float[tiles.size() * 3 * size * size];
        for (int i = 0; i < tiles.size(); i++) {
            PixelValues tile = tiles.get(i);
            if (tile.channels() != 3 || tile.height() != size || tile.width() != size) {
                throw new IllegalArgumentException("tile " + i + " is " + tile.channels() + "x" + tile.height() + "x"
                        + tile.width() + ", the encoder needs 3x" + size + "x" + size);
            }
            System.arraycopy(tile.data(), 0, pixels, i * tile.data().length, tile.data().length);
        }
        NDArray input = step.create(pixels, new Shape(tiles.size(), 3, size, size));
        return dataType == DataType.FLOAT32 ? input : input.toType(dataType, false);
    }

    /** {@link #encode} as plain floats, row-major [tiles * tokensPerTile][L]; for callers outside DJL and tests. */
    public float[] encodeToFloats(List<PixelValues> tiles) {
        NativeTarget.prepareInferenceThread();
        try (NDManager step = manager.newSubManager()) {
            return encode(tiles, step).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    InternVitModel model() {
        return model;
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
