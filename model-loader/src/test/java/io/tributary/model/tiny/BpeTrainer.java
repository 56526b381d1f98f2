package io.tributary.model.tiny;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, deterministic byte-level BPE trainer: split the corpus into words like GPT-2, spell each word in
 * {@link ByteLevelAlphabet} characters, then repeatedly merge the most frequent adjacent pair (ties go to the
 * alphabetically first pair, so the result never depends on hash order).
 */
final class BpeTrainer {

    /** GPT-2's pre-tokenization pattern, which the ByteLevel pre-tokenizer applies with use_regex = true. */
    static final Pattern GPT2_SPLIT =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** A learned merge: {@code left + right} becomes one token. */
    record Merge(String left, String right) {
        String merged() {
            return left + right;
        }
    }

    private BpeTrainer() {}

    /**
     * Learns merges until they have produced {@code newTokens} distinct tokens (two merges may spell the same
     * token), or fewer if no pair occurs at least twice any more.
     */
    static List<Merge> train(String corpus, int newTokens) {
        Map<List<String>, Integer> words = new TreeMap<>(BpeTrainer::compareSymbols);
        Matcher matcher = GPT2_SPLIT.matcher(corpus);
        while (matcher.find()) {
            String word = ByteLevelAlphabet.encode(matcher.group().getBytes(StandardCharsets.UTF_8));
            List<String> symbols = new ArrayList<>();
            word.codePoints().forEach(c -> symbols.add(new String(Character.toChars(c))));
            words.merge(symbols, 1, Integer::sum);
        }
        List<Merge> merges = new ArrayList<>();
        Set<String> learned = new HashSet<>();
        while (learned.size() < newTokens) {
            Map<Merge, Integer> pairs =
                    new TreeMap<>(Comparator.comparing(Merge::left).thenComparing(Merge::right));
            words.forEach((symbols, frequency) -> {
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairs.merge(new Merge(symbols.get(i), symbols.get(i + 1)), frequency, Integer::sum);
                }
            });
            Merge best = null;
            int bestCount = 1;
            for (Map.Entry<Merge, Integer> pair : pairs.entrySet()) {
                if (pair.getValue() > bestCount) { // strictly greater: the first (smallest) pair wins ties
                    best = pair.getKey();
                    bestCount = pair.getValue();
                }
            }
            if (best == null) {
                break;
            }
            merges.add(best);
            learned.add(best.merged());
            words = applyMerge(words, best);
        }
        return merges;
    }

    private static Map<List<String>, Integer> applyMerge(Map<List<String>, Integer> words, Merge merge) {
        Map<List<String>, Integer> merged = new TreeMap<>(BpeTrainer::compareSymbols);
        words.forEach((symbols, frequency) -> {
            List<String> out = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size()
                        && symbols.get(i).equals(merge.left())
                        && symbols.get(i + 1).equals(merge.right())) {
                    out.add(merge.merged());
                    i++;
                } else {
                    out.add(symbols.get(i));
                }
            }
            merged.merge(out, frequency, Integer::sum);
        });
        return merged;
    }

    private static int compareSymbols(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }
}
