package io.tributary.model.tiny;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer shared by every tiny checkpoint: a GPT-2 style byte-level BPE (any Unicode text round-trips, since
 * all 256 bytes are tokens) with merges learned from an embedded English corpus, and Llama's special tokens.
 * Ids: 0 {@code <unk>}, 1 {@code <s>} (BOS, prepended by the post-processor), 2 {@code </s>} (EOS), 3..258 the
 * bytes 0..255, then the merges.
 */
public final class TinyTokenizer {

    public static final int VOCABULARY_SIZE = 512;
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    static final List<String> SPECIAL_TOKENS = List.of("<unk>", "<s>", "</s>");
    private static final int FIRST_BYTE_ID = SPECIAL_TOKENS.size();
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyTokenizer() {}

    /** A plain role-tagged template, so chat endpoints have something real to render. */
    static final String ROLE_TAGGED_TEMPLATE = "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + "
            + "message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}"
            + "{% endif %}";

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json}. Same bytes on every call. */
    public static void write(Path directory, int modelMaxLength) throws IOException {
        write(directory, modelMaxLength, List.of(), ROLE_TAGGED_TEMPLATE);
    }

    /**
     * The same tokenizer plus {@code extraSpecialTokens} (such as LLaVA's {@code <image>}) as added special tokens
     * with ids {@value #VOCABULARY_SIZE}, {@value #VOCABULARY_SIZE} + 1, ..., and the given chat template.
     */
    public static void write(Path directory, int modelMaxLength, List<String> extraSpecialTokens, String chatTemplate)
            throws IOException {
        List<BpeTrainer.Merge> merges = BpeTrainer.train(corpus(), VOCABULARY_SIZE - FIRST_BYTE_ID - 256);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        SPECIAL_TOKENS.forEach(token -> vocab.put(token, vocab.size()));
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), FIRST_BYTE_ID + b);
        }
        merges.forEach(merge -> vocab.putIfAbsent(merge.merged(), vocab.size()));
        Map<String, Integer> ids = new LinkedHashMap<>();
        SPECIAL_TOKENS.forEach(token -> ids.put(token, vocab.get(token)));
        for (int i = 0; i < extraSpecialTokens.size(); i++) {
            ids.put(extraSpecialTokens.get(i), VOCABULARY_SIZE + i);
        }
        Files.writeString(directory.resolve("tokenizer.json"), pretty(tokenizerJson(vocab, merges, ids)));
        Files.writeString(
                directory.resolve("tokenizer_config.json"), pretty(tokenizerConfig(modelMaxLength, ids, chatTemplate)));
    }

    static String corpus() {
        try (InputStream in = TinyTokenizer.class.getResourceAsStream("corpus.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the embedded corpus is missing", e);
        }
    }

    private static ObjectNode tokenizerJson(
            Map<String, Integer> vocab, List<BpeTrainer.Merge> merges, Map<String, Integer> specials) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (Map.Entry<String, Integer> special : specials.entrySet()) {
            String token = special.getKey();
            ObjectNode entry = added.addObject();
            entry.put("id", special.getValue());
            entry.put("content", token);
            entry.put("single_word", false);
            entry.put("lstrip", false);
            entry.put("rstrip", false);
            entry.put("normalized", false);
            entry.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false));
        root.set("post_processor", prependBos());
        root.set("decoder", byteLevel(true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode mergesNode = model.putArray("merges");
        merges.forEach(merge -> mergesNode.add(merge.left() + " " + merge.right()));
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", addPrefixSpace);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
        return node;
    }

    /** TemplateProcessing: {@code <s> $A} for one sequence, {@code <s> $A $B} for pairs, as Llama tokenizers do. */
    private static ObjectNode prependBos() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "TemplateProcessing");
        ArrayNode single = node.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = node.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = node.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add("<s>");
        return node;
    }

    private static ObjectNode tokenizerConfig(int modelMaxLength, Map<String, Integer> specials, String chatTemplate) {
        ObjectNode config = JSON.createObjectNode();
        ObjectNode decoder = config.putObject("added_tokens_decoder");
        for (Map.Entry<String, Integer> special : specials.entrySet()) {
            ObjectNode entry = decoder.putObject(String.valueOf(special.getValue()));
            entry.put("content", special.getKey());
            entry.put("lstrip", false);
            entry.put("normalized", false);
            entry.put("rstrip", false);
            entry.put("single_word", false);
            entry.put("special", true);
        }
        config.put("bos_token", "<s>");
        config.put("eos_token", "</s>");
        config.put("unk_token", "<unk>");
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", modelMaxLength);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("chat_template", chatTemplate);
        return config;
    }

    private static String pretty(ObjectNode node) {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
