package io.tributary.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.NativeTarget;
import io.tributary.model.WeightLoading;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.checkpoint.WeightExport;
import io.tributary.model.image.PixelValues;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A CLIP vision checkpoint with its projection ({@code CLIPVisionModelWithProjection}) opened for training: the
 * image embedding a router reads, computed by the serving code over weights a trainer updates in place, and the
 * way back to a checkpoint directory.
 */
public final class TrainableClip implements AutoCloseable {

    private final Path source;
    private final NDManager manager;
    private final ClipVisionModel model;

    private TrainableClip(Path source, NDManager manager, ClipVisionModel model) {
        this.source = source;
        this.manager = manager;
        this.model = model;
    }

    public static TrainableClip open(Path directory) {
        ClipVisionConfig config;
        try {
            config = ClipVisionConfig.fromJson(
                    new ObjectMapper().readTree(directory.resolve("config.json").toFile()));
        } catch (RuntimeException e) {
            throw new ModelLoadException(directory + ": config.json: " + e.getMessage(), e);
        }
        CheckpointTensors tensors = CheckpointTensors.open(directory, WeightLoading.READ);
        if (!tensors.contains(ClipVisionModel.projectionKey(""))) {
            throw new ModelLoadException(directory + ": no visual_projection.weight to train");
        }
        tensors.validate(
                ClipVisionModel.expectedShapes(tensors, config, ""), ClipVisionModel.ignoredTensors(""), "CLIP");
        NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "encoder-training");
        try {
            return new TrainableClip(
                    directory, manager, ClipVisionModel.load(tensors, config, "", manager, DataType.FLOAT32));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public ClipVisionConfig config() {
        return model.config();
    }

    public List<NDArray> parameters() {
        return model.parameters();
    }

    /** CLIP's projected image embeddings [B, projection_dim] (not normalised), owned by {@code step}. */
    public NDArray imageEmbeds(List<PixelValues> images, NDManager step) {
        return model.imageEmbeds(model.pixels(images, step));
    }

    /** Writes the current weights beside a copy of the source checkpoint's other files. */
    public void save(Path directory) throws IOException {
        WeightExport.writeCheckpoint(source, directory, model.checkpointTensors(""));
    }

    @Override
    public void close() {
        manager.close();
    }
}
