package io.tributary.tools.train;

import io.tributary.model.image.ImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.llava.TrainableLlava;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.ImageInput;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Question–answer samples as a LLaVA-1.5 checkpoint reads them when served: the prompt its chat template renders
 * for one user turn with an image ({@code USER: <image>\n<question> ASSISTANT:}), the answer after a space and
 * closed by the end-of-sequence token, the image through the checkpoint's own image processor.
 */
public final class ExampleEncoder {

    private final HfTokenizer tokenizer;
    private final ImageProcessor images;
    private final int endOfSequence;

    public ExampleEncoder(HfTokenizer tokenizer, ImageProcessor images, int endOfSequence) {
        this.tokenizer = tokenizer;
        this.images = images;
        this.endOfSequence = endOfSequence;
    }

    /** The text a chat request with this question and one image renders to (llava-hf's template). */
    public static String prompt(String question) {
        return "USER: <image>\n" + question + " ASSISTANT:";
    }

    /** Whether a generated answer matches the reference: trimmed, case-insensitive, a final full stop ignored. */
    public static boolean matches(String generated, String reference) {
        return normalise(generated).equals(normalise(reference));
    }

    private static String normalise(String answer) {
        String trimmed = answer.strip().toLowerCase(Locale.ROOT);
        return trimmed.endsWith(".")
                ? trimmed.substring(0, trimmed.length() - 1).strip()
                : trimmed;
    }

    public TrainableLlava.Example encode(QuestionAnswer sample) {
        int[] prompt = tokenizer.encode(prompt(sample.question()));
        int[] answerText = tokenizer.encodeWithoutSpecialTokens(" " + sample.answer());
        int[] answer = Arrays.copyOf(answerText, answerText.length + 1);
        answer[answerText.length] = endOfSequence;
        return new TrainableLlava.Example(prompt, pixels(sample), answer);
    }

    public List<TrainableLlava.Example> encodeAll(List<QuestionAnswer> samples) {
        return samples.stream().map(this::encode).toList();
    }

    private PixelValues pixels(QuestionAnswer sample) {
        try {
            List<PixelValues> pixels = images.process(new ImageInput(Files.readAllBytes(sample.image()), "image/png"));
            if (pixels.size() != 1) {
                throw new IllegalArgumentException(sample.image() + ": expected one image tile, got " + pixels.size());
            }
            return pixels.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
