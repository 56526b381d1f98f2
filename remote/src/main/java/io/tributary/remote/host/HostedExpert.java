package io.tributary.remote.host;

import io.tributary.routing.Expert;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An expert this process serves to gateways, with what a gateway needs to know of its checkpoint besides the model.
 *
 * @param imagePlaceholder how the expert's family writes an image in a prompt; empty for a text-only family
 * @param tokenizerFiles   the checkpoint's tokenizer files by name, for the gateway to tokenize and template with
 */
public record HostedExpert(
        Expert expert,
        Optional<String> imagePlaceholder,
        Set<Integer> eosTokenIds,
        Map<String, byte[]> tokenizerFiles) {

    public HostedExpert {
        Objects.requireNonNull(expert, "expert");
        Objects.requireNonNull(imagePlaceholder, "imagePlaceholder");
        eosTokenIds = Set.copyOf(eosTokenIds);
        tokenizerFiles = Map.copyOf(tokenizerFiles);
    }

    public String name() {
        return expert.name();
    }
}
