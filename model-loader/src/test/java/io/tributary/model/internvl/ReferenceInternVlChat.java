package io.tributary.model.internvl;

import io.tributary.model.image.PixelValues;
import io.tributary.model.llama.ReferenceLlama;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole InternVL chat model in plain Java doubles, composed of the two independent loop references: the vision
 * path of {@link ReferenceInternVl} (InternViT, pixel shuffle, mlp1) and the decoder of {@link ReferenceLlama} (with
 * Qwen2's q/k/v biases). The placeholder expansion is written out here as OpenGVLab's {@code chat()} does it in
 * text: {@code <img>} + {@code <IMG_CONTEXT>} x (tokens per tile x tiles) + {@code </img>}. Original layout, F32.
 */
final class ReferenceInternVlChat {

    final ReferenceInternVl vision;
    final ReferenceLlama decoder;
    private final int imgStart;
    private final int imgContext;
    private final int imgEnd;

    ReferenceInternVlChat(Path dir, int imgStart, int imgContext, int imgEnd) throws IOException {
        vision = new ReferenceInternVl(dir);
        decoder = new ReferenceLlama(
                new ObjectMapper().readTree(dir.resolve("config.json")).get("llm_config"),
                ReferenceLlama.readSafetensors(dir),
                "language_model.");
        this.imgStart = imgStart;
        this.imgContext = imgContext;
        this.imgEnd = imgEnd;
    }

    /** The expanded token ids: each image's context token replaced by its start, context run and end tokens. */
    int[] expand(int[] prompt, List<List<PixelValues>> images, int tokensPerTile) {
        List<Integer> ids = new ArrayList<>();
        int image = 0;
        for (int id : prompt) {
            if (id == imgContext) {
                ids.add(imgStart);
                for (int i = 0; i < tokensPerTile * images.get(image).size(); i++) {
                    ids.add(imgContext);
                }
                ids.add(imgEnd);
                image++;
            } else {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** inputs_embeds: token embeddings, with the image features (all tiles, in order) at the context positions. */
    double[][] embeddings(int[] expanded, List<List<PixelValues>> images) {
        List<double[]> features = new ArrayList<>();
        for (List<PixelValues> tiles : images) {
            for (PixelValues tile : tiles) {
                features.addAll(List.of(vision.features(tile.data())));
            }
        }
        double[][] x = new double[expanded.length][];
        int row = 0;
        for (int t = 0; t < expanded.length; t++) {
            x[t] = expanded[t] == imgContext ? features.get(row++).clone() : decoder.embed(expanded[t]);
        }
        if (row != features.size()) {
            throw new IllegalStateException(row + " context positions for " + features.size() + " feature rows");
        }
        return x;
    }

    /** log p(next | positions ≤ t) at every position t of the expanded prompt followed by {@code appended}. */
    double[][] logProbs(int[] prompt, List<List<PixelValues>> images, int tokensPerTile, int... appended) {
        double[][] promptRows = embeddings(expand(prompt, images, tokensPerTile), images);
        double[][] x = java.util.Arrays.copyOf(promptRows, promptRows.length + appended.length);
        for (int i = 0; i < appended.length; i++) {
            x[promptRows.length + i] = decoder.embed(appended[i]); // a generated token is a token, never an image
        }
        return decoder.logProbsFromEmbeddings(x);
    }
}
