package io.tributary.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.tributary.model.ModelLoadException;
import io.tributary.routing.Detokenizer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A checkpoint's {@code tokenizer.json}, run by the Hugging Face tokenizers library through DJL. Built with
 * truncation and padding off: DJL's defaults silently cut inputs at 512 tokens. Thread-safe.
 */
public final class HfTokenizer implements Detokenizer, AutoCloseable {

    public static final String FILE_NAME = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabularySize;
    private final Map<String, Integer> specialTokens;
    private final Set<Integer> specialIds;
    private final Optional<byte[][]> tokenBytes;

    private HfTokenizer(
            HuggingFaceTokenizer tokenizer,
            int vocabularySize,
            Map<String, Integer> specialTokens,
            Optional<byte[][]> tokenBytes) {
        this.tokenizer = tokenizer;
        this.vocabularySize = vocabularySize;
        this.specialTokens = specialTokens;
        this.specialIds = Set.copyOf(specialTokens.values());
        this.tokenBytes = tokenBytes;
    }

    /** Loads {@code tokenizer.json} from a checkpoint directory. */
    public static HfTokenizer load(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(directory + ": no " + FILE_NAME);
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optTruncation(false)
                    .optPadding(false)
                    .optAddSpecialTokens(true)
                    .build();
            int vocabularySize = vocabularySize(json);
            return new HfTokenizer(tokenizer, vocabularySize, specialTokens(json), TokenBytes.of(json, vocabularySize));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file + ": the tokenizers library refused it: " + e.getMessage(), e);
        }
    }

    /** Ids of the model's vocabulary plus added tokens: the largest id + 1. */
    private static int vocabularySize(JsonNode json) {
        int max = -1;
        JsonNode vocab = json.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab.values()) {
                max = Math.max(max, id.asInt());
            }
        } else if (vocab.isArray()) { // Unigram: a list of [piece, score], ids are positions
            max = vocab.size() - 1;
        }
        for (JsonNode added : json.path("added_tokens")) {
            max = Math.max(max, added.path("id").asInt());
        }
        return max + 1;
    }

    private static Map<String, Integer> specialTokens(JsonNode json) {
        Map<String, Integer> special = new LinkedHashMap<>();
        for (JsonNode added : json.path("added_tokens")) {
            if (added.path("special").asBoolean(false)) {
                special.put(added.path("content").asString(), added.path("id").asInt());
            }
        }
        return Collections.unmodifiableMap(special);
    }

    /** Token ids of {@code text}, with the special tokens the post-processor adds (a leading BOS, usually). */
    public int[] encode(String text) {
        return toInts(tokenizer.encode(text).getIds());
    }

    /** Token ids of {@code text} alone, e.g. to splice into a chat template. */
    public int[] encodeWithoutSpecialTokens(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    String decode(long[] ids, int from, int to) {
        if (from == to) {
            return "";
        }
        return tokenizer.decode(Arrays.copyOfRange(ids, from, to), true);
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Shared, not copied: callers must not write into it. */
    @Override
    public Optional<byte[][]> tokenBytes() {
        return tokenBytes;
    }

    /** Special tokens by their text ({@code <s>}, {@code </s>}, ...). */
    public Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    public OptionalInt specialTokenId(String content) {
        Integer id = specialTokens.get(content);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return specialIds.contains(tokenId);
    }

    @Override
    public String specialTokenText(int tokenId) {
        return tokenizer.decode(new long[] {tokenId}, false);
    }

    @Override
    public String tokenText(int tokenId) {
        return tokenizer.decode(new long[] {tokenId}, false);
    }

    /**
     * The tokens of {@code text} with the characters each covers, as TGI's {@code /tokenize} reports them: special
     * tokens the post-processor adds cover nothing ({@code start == stop}).
     */
    public List<TokenSpan> tokenize(String text) {
        Encoding encoding = tokenizer.encode(text);
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        List<TokenSpan> tokens = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = i < spans.length ? spans[i] : null;
            int start = span == null ? 0 : Math.min(Math.max(span.getStart(), 0), text.length());
            int stop = span == null ? start : Math.min(Math.max(span.getEnd(), start), text.length());
            tokens.add(new TokenSpan((int) ids[i], text.substring(start, stop), start, stop));
        }
        return tokens;
    }

    /** One token of {@link #tokenize}: its id and the characters {@code [start, stop)} of the text it covers. */
    public record TokenSpan(int id, String text, int start, int stop) {}

    /** Special tokens decode to nothing in a stream; the decode loop sees them through {@link #isSpecial}. */
    @Override
    public Stream newStream() {
        return new IncrementalDecoder(this);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static int[] toInts(long[] ids) {
        int[] ints = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            ints[i] = Math.toIntExact(ids[i]);
        }
        return ints;
    }
}
