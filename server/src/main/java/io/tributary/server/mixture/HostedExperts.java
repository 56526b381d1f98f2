package io.tributary.server.mixture;

import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.Expert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The served mixture's experts as an expert server offers them to gateways, with their tokenizer files. */
public final class HostedExperts {

    private HostedExperts() {}

    public static List<HostedExpert> of(ServedModel model, MixtureLoader.Checked checked) {
        List<Expert> experts = model.mixture().experts();
        List<HostedExpert> hosted = new ArrayList<>(experts.size());
        for (int i = 0; i < experts.size(); i++) {
            hosted.add(new HostedExpert(
                    experts.get(i),
                    checked.placeholder(),
                    checked.eosTokenIds(),
                    tokenizerFiles(checked.directories().get(i))));
        }
        return hosted;
    }

    private static Map<String, byte[]> tokenizerFiles(Path directory) {
        Map<String, byte[]> files = new HashMap<>();
        for (String name : RemoteCheckpoints.TOKENIZER_FILES) {
            Path file = directory.resolve(name);
            if (Files.isRegularFile(file)) {
                try {
                    files.put(name, Files.readAllBytes(file));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file, e);
                }
            }
        }
        return files;
    }
}
