package io.tributary.server.mixture;

import io.tributary.remote.client.RemoteExpertException;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.client.ReplicaAddresses;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.remote.security.RemoteSecurity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The experts a manifest names by {@code address}: each is asked what it is, and its tokenizer files are written
 * to a local directory that then stands for its checkpoint wherever the gateway reads text (tokenizer, chat
 * template), so a gateway needs no copy of any checkpoint.
 *
 * @param tokenizerCache where the remote experts' tokenizer files are written, one directory per distinct content
 */
record RemoteCheckpoints(RemoteOptions options, Path tokenizerCache) {

    /** Sent to gateways by an expert server: what the gateway needs to write and read text like the expert. */
    static final Set<String> TOKENIZER_FILES = Set.of(
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "chat_template.jinja",
            "chat_template.json",
            "generation_config.json");

    /** A connected remote expert and the directory holding its tokenizer files. */
    record Connected(ReplicatedExpert expert, Path directory, Optional<String> placeholder, Set<Integer> eosTokenIds) {}

    /**
     * Connects to the replicas the entry gives; at least one must answer, and all must describe the same checkpoint.
     */
    Connected connect(Path manifestFile, MixtureManifest manifest, int index) {
        MixtureManifest.ExpertEntry entry = manifest.experts().get(index);
        String key = "experts[" + index + "].address";
        RemoteOptions link = optionsFor(manifestFile, entry, index);
        ReplicatedExpert expert;
        try {
            expert = ReplicatedExpert.connect(entry.name(), ReplicaAddresses.parse(entry.address()), link);
        } catch (RemoteExpertException e) {
            throw new InvalidManifestException(
                    manifestFile,
                    key,
                    "cannot reach expert '" + entry.name() + "' at " + entry.address() + " (" + e.getMessage()
                            + "); is an expert server (tributary.role=expert) serving it there?",
                    e);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(manifestFile, key, e.getMessage(), e);
        }
        try {
            var description = expert.description();
            Path directory = write(description.getTokenizerFilesMap().entrySet().stream()
                    .collect(
                            TreeMap::new,
                            (files, file) ->
                                    files.put(file.getKey(), file.getValue().toByteArray()),
                            Map::putAll));
            String placeholder = description.getImagePlaceholder();
            return new Connected(
                    expert,
                    directory,
                    placeholder.isEmpty() ? Optional.empty() : Optional.of(placeholder),
                    Set.copyOf(description.getEosTokenIdsList()));
        } catch (IOException | RuntimeException e) {
            expert.close();
            throw new InvalidManifestException(
                    manifestFile,
                    key,
                    "expert '" + entry.name() + "' at " + entry.address() + ": cannot keep its tokenizer files under "
                            + tokenizerCache + ": " + e,
                    e);
        }
    }

    /**
     * The link to one expert: the gateway's settings, with TLS and the token replaced by the entry's own where it
     * gives them.
     */
    private RemoteOptions optionsFor(Path manifestFile, MixtureManifest.ExpertEntry entry, int index) {
        if (entry.tls() == null && entry.tokenFile() == null) {
            return options;
        }
        RemoteSecurity gateway = options.security();
        MixtureManifest.Tls tls = entry.tls();
        String token = gateway.token();
        if (entry.tokenFile() != null) {
            Path file = ManifestReader.resolve(manifestFile, entry.tokenFile());
            try {
                token = Files.readString(file).strip();
            } catch (IOException e) {
                throw new InvalidManifestException(
                        manifestFile,
                        "experts[" + index + "].token_file",
                        "cannot read " + file + " (" + e.getMessage() + ")",
                        e);
            }
            if (token.isEmpty()) {
                throw new InvalidManifestException(
                        manifestFile,
                        "experts[" + index + "].token_file",
                        file + " is empty; it must hold the bearer token");
            }
        }
        RemoteSecurity security = tls == null
                ? new RemoteSecurity(gateway.tls(), gateway.ca(), gateway.certificate(), gateway.privateKey(), token)
                : new RemoteSecurity(
                        true,
                        path(manifestFile, tls.ca()),
                        path(manifestFile, tls.certificate()),
                        path(manifestFile, tls.privateKey()),
                        token);
        return new RemoteOptions(
                options.callTimeout(),
                options.compactEpsilon(),
                security,
                options.startupWait(),
                options.tracing(),
                options.replicaRefresh());
    }

    private static Path path(Path manifestFile, String file) {
        return file == null ? null : ManifestReader.resolve(manifestFile, file);
    }

    /** Writes the files once per content (the directory's name is their digest), so restarts reuse them. */
    private Path write(TreeMap<String, byte[]> files) throws IOException {
        if (!files.containsKey("tokenizer.json")) {
            throw new IOException("the expert sent no tokenizer.json");
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (var file : files.entrySet()) {
            if (!TOKENIZER_FILES.contains(file.getKey())) {
                throw new IOException("the expert sent an unexpected file '" + file.getKey() + "'");
            }
            digest.update(file.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            digest.update(file.getValue());
        }
        Path directory = tokenizerCache.resolve(HexFormat.of().formatHex(digest.digest(), 0, 12));
        if (Files.isRegularFile(directory.resolve("tokenizer.json"))) {
            return directory;
        }
        Files.createDirectories(tokenizerCache);
        Path staging = Files.createTempDirectory(tokenizerCache, "staging-");
        for (var file : files.entrySet()) {
            Files.write(staging.resolve(file.getKey()), file.getValue());
        }
        try {
            Files.move(staging, directory, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(directory.resolve("tokenizer.json"))) {
                throw e; // otherwise another start wrote the same files first
            }
        }
        return directory;
    }
}
