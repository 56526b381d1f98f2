package io.tributary.model.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.WeightLoading;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.checkpoint.WeightExport;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.image.PixelValues;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A LLaVA checkpoint opened for training: the forward pass the server runs (CLIP tower, projector, image splice,
 * decoder with its cache and attention), over weights that a trainer updates in place, and the way back to a
 * checkpoint directory in llava-hf's layout. There is one model definition; this class only adds ownership of the
 * weights (its own tower, never a shared one; copies, never a mapped file) and the teacher-forced loss.
 */
public final class TrainableLlava implements AutoCloseable {

    private static final String LANGUAGE_MODEL = "language_model.";

    private final Path source;
    private final NDManager manager;
    private final LlavaModel model;

    private TrainableLlava(Path source, NDManager manager, LlavaModel model) {
        this.source = source;
        this.manager = manager;
        this.model = model;
    }

    /**
     * One training example: a prompt holding one image placeholder, its image, and the answer tokens to learn
     * (ending with the end-of-sequence token when generation should stop there).
     */
    public record Example(int[] promptTokenIds, PixelValues image, int[] answerTokenIds) {
        public Example {
            if (answerTokenIds.length == 0) {
                throw new IllegalArgumentException("an example needs at least one answer token");
            }
        }
    }

    /** Opens a LLaVA checkpoint directory for training, in float32 on the CPU. */
    public static TrainableLlava open(Path directory) {
        LlavaConfig config = LlavaConfig.read(directory.resolve("config.json"));
        CheckpointTensors tensors = CheckpointTensors.open(directory, WeightLoading.READ);
        LlavaExpert.validate(tensors, config);
        NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "training");
        try {
            DataType type = DataType.FLOAT32;
            LlavaModel model = new LlavaModel(
                    config,
                    ClipVisionModel.load(tensors, config.vision(), ClipVisionModel.LLAVA_PREFIX, manager, type),
                    LlavaProjector.load(tensors, config, manager, type),
                    LlamaModel.load(tensors, config.text(), manager, type));
            return new TrainableLlava(directory, manager, model);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public LlavaConfig config() {
        return model.config();
    }

    /** The arrays to train: projector and decoder, and the vision tower's when {@code withTower}. */
    public List<NDArray> parameters(boolean withTower) {
        List<NDArray> parameters = new ArrayList<>();
        if (withTower) {
            parameters.addAll(model.vision().parameters(model.deepestFeatureLayer()));
        }
        parameters.addAll(model.decoder().parameters());
        parameters.addAll(projector().parameters());
        return parameters;
    }

    /**
     * {@code log p(answer token | image, prompt, earlier answer tokens)} of every answer token of every example,
     * concatenated in order: [Σ answer lengths] float32, owned by {@code step}, differentiable while autograd records.
     * The images run through the tower as one batch and the sequences through the decoder as one step.
     */
    public NDArray answerLogProbs(List<Example> examples, NDManager step) {
        LlavaConfig config = model.config();
        LlavaModel.TowerStates batch =
                model.runTower(examples.stream().map(Example::image).toList(), step);
        List<NDArray> sequences = new ArrayList<>(examples.size());
        List<int[]> targets = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            Example example = examples.get(i);
            int[] answer = example.answerTokenIds();
            int[] fed = Arrays.copyOf(example.promptTokenIds(), example.promptTokenIds().length + answer.length - 1);
            System.arraycopy(answer, 0, fed, example.promptTokenIds().length, answer.length - 1);
            ImagePlaceholders expanded =
                    ImagePlaceholders.expand(fed, config.imageTokenIndex(), config.tokensPerImage(), 1);
            int image = i;
            sequences.add(model.embed(
                    expanded, layer -> batch.state(layer).get(new NDIndex().addSliceDim(image, image + 1)), step));
            int[] target = new int[expanded.length()];
            Arrays.fill(target, -1);
            int firstAnswerRow = expanded.length() - answer.length; // the prompt's last position predicts answer[0]
            System.arraycopy(answer, 0, target, firstAnswerRow, answer.length);
            targets.add(target);
        }
        return model.decoder().targetLogProbs(sequences, targets, step);
    }

    /**
     * Writes the current weights as a checkpoint directory in llava-hf's layout ({@code model.safetensors} with
     * {@code language_model.*}, {@code vision_tower.*} and {@code multi_modal_projector.*} keys), beside a copy of
     * every other file of the checkpoint it was opened from (config, tokenizer, chat template, preprocessor).
     */
    public void save(Path directory) throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor tensor : model.decoder().checkpointTensors()) {
            tensors.add(new Tensor(LANGUAGE_MODEL + tensor.name(), tensor.dtype(), tensor.shape(), tensor.values()));
        }
        tensors.addAll(projector().checkpointTensors());
        tensors.addAll(model.vision().checkpointTensors(ClipVisionModel.LLAVA_PREFIX));
        WeightExport.writeCheckpoint(source, directory, tensors);
    }

    private LlavaProjector projector() {
        return model.projector();
    }

    @Override
    public void close() {
        manager.close();
    }
}
