package io.tributary.model.checkpoint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The ways real Hugging Face checkpoints spell the same tensor, and the canonical spelling this project loads by:
 * the decoder under {@code model.*} and {@code lm_head.weight} (as a plain {@code LlamaForCausalLM} saves it), the
 * vision tower under {@code vision_tower.*}, the projector under {@code multi_modal_projector.*}.
 *
 * <ul>
 *   <li>{@link #PLAIN}: text-only models, and any key already canonical;</li>
 *   <li>{@link #LEGACY_MULTIMODAL}: llava-hf before transformers 4.52 (and InternVL's original repository):
 *       {@code language_model.model.*}, {@code language_model.lm_head.weight};</li>
 *   <li>{@link #NESTED_MULTIMODAL}: transformers 4.52 and later: {@code model.language_model.*},
 *       {@code model.vision_tower.*}, {@code model.multi_modal_projector.*}, {@code lm_head.weight}.</li>
 * </ul>
 */
public enum KeyLayout {
    PLAIN(List.of()),
    LEGACY_MULTIMODAL(
            List.of(new Rename("language_model.model.", "model."), new Rename("language_model.lm_head.", "lm_head."))),
    NESTED_MULTIMODAL(List.of(
            new Rename("model.language_model.", "model."),
            new Rename("model.vision_tower.", "vision_tower."),
            new Rename("model.multi_modal_projector.", "multi_modal_projector.")));

    /** One prefix rewrite: {@code original + rest} is canonical {@code canonical + rest}. */
    record Rename(String original, String canonical) {}

    private final List<Rename> renames;

    KeyLayout(List<Rename> renames) {
        this.renames = renames;
    }

    /** The layout a set of keys is written in: the one whose distinctive prefixes occur, else plain. */
    static KeyLayout detect(Set<String> keys) {
        boolean legacy = keys.stream().anyMatch(k -> k.startsWith("language_model."));
        boolean nested = keys.stream()
                .anyMatch(k -> k.startsWith("model.language_model.")
                        || k.startsWith("model.vision_tower.")
                        || k.startsWith("model.multi_modal_projector."));
        if (legacy && nested) {
            throw new IllegalArgumentException(
                    "keys mix the legacy 'language_model.*' and the nested" + " 'model.language_model.*' layouts");
        }
        return legacy ? LEGACY_MULTIMODAL : nested ? NESTED_MULTIMODAL : PLAIN;
    }

    /** The canonical spelling of {@code original}; keys no rule matches are canonical already. */
    String canonical(String original) {
        return renames.stream()
                .filter(r -> original.startsWith(r.original()))
                .findFirst()
                .map(r -> r.canonical() + original.substring(r.original().length()))
                .orElse(original);
    }

    /**
     * How this layout would spell {@code canonical}, for messages about missing tensors. Plain decoder keys in a
     * multimodal layout are the language model's.
     */
    String spell(String canonical) {
        Optional<Rename> rename = renames.stream()
                .filter(r -> canonical.startsWith(r.canonical()))
                .findFirst();
        return rename.map(r -> r.original() + canonical.substring(r.canonical().length()))
                .orElse(canonical);
    }
}
