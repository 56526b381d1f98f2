package io.tributary.model.llama;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;

import java.nio.file.Path;

/**
 * A text-only Llama or Qwen2 checkpoint ({@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}) as one expert of a
 * mixture. Thread-safe: the weights are read-only and shared,
 * every session has its own NDManager (a child of this expert's) holding its KV cache.
 */
public final class LlamaExpert implements DecoderExpert {

    private final String name;
    private final NDManager manager;
    private final LlamaModel model;
    private final BatchDecoder batchDecoder;
    private final DataType dataType;

    private LlamaExpert(String name, NDManager manager, LlamaModel model, DataType dataType) {
        this.name = name;
        this.manager = manager;
        this.model = model;
        this.batchDecoder = new BatchDecoder(model, manager, dataType);
        this.dataType = dataType;
    }

    /**
     * Loads {@code config.json} and the safetensors weights of a Hugging Face Llama or Qwen2 checkpoint directory
     * ({@code model_type} picks the config defaults). Every missing, unexpected or mis-shaped tensor is reported,
     * by name and file, before anything is loaded.
     */
    public static LlamaExpert load(String name, Path directory, LoadOptions options) {
        LlamaConfig config = LlamaConfig.read(directory.resolve("config.json"));
        CheckpointTensors tensors = CheckpointTensors.open(directory, options.weightLoading());
        tensors.validate(
                LlamaModel.expectedShapes(tensors, config),
                LlamaModel.ignoredTensors(),
                config.attentionBias() && !config.oProjBias() ? "Qwen2" : "Llama");
        NativeTarget.prepareInferenceThread();
        NDManager manager = NativeTarget.newModelManager(options, "expert-" + name);
        try {
            DataType dataType = NativeTarget.dataType(options);
            return new LlamaExpert(
                    name,
                    manager,
                    LlamaModel.load(tensors, config, manager, dataType, WeightPacker.of(options, manager)),
                    dataType);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return model.config().vocabSize();
    }

    public LlamaConfig config() {
        return model.config();
    }

    @Override
    public int maxSequenceLength() {
        return model.config().maxPositionEmbeddings();
    }

    /**
     * @throws ImageRefusedException    for images (this family is text-only)
     * @throws PromptTooLongException   for a prompt longer than {@code max_position_embeddings}
     * @throws IllegalArgumentException for a token id outside the vocabulary: the tokenizer is not this expert's
     */
    @Override
    public ExpertSession open(Prompt prompt) {
        if (!prompt.images().isEmpty()) {
            throw new ImageRefusedException("expert '" + name + "' is a text-only model and cannot read "
                    + prompt.images().size() + " image(s)");
        }
        int maxPositions = model.config().maxPositionEmbeddings();
        if (prompt.length() > maxPositions) {
            throw new PromptTooLongException("prompt of " + prompt.length() + " tokens exceeds expert '" + name
                    + "' max_position_embeddings of " + maxPositions);
        }
        int[] tokens = prompt.tokenIds();
        for (int token : tokens) {
            checkToken(token);
        }
        return batchDecoder.open(DecoderPrompt.text(tokens));
    }

    @Override
    public BatchDecoder batchDecoder() {
        return batchDecoder;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabularySize()) {
            throw new IllegalArgumentException(
                    "token id " + token + " is outside expert '" + name + "' vocabulary of " + vocabularySize());
        }
    }

    /** NDArrays alive in this expert: weights, RoPE tables, the KV caches of open sessions. For leak checks. */
    @Override
    public int liveArrays() {
        return NativeTarget.liveArrays(manager);
    }

    @Override
    public void close() {
        batchDecoder.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "LlamaExpert[" + name + ", " + model.config().numHiddenLayers() + " layers, hidden "
                + model.config().hiddenSize() + ", " + dataType + "]";
    }
}
