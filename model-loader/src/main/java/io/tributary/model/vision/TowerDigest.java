package io.tributary.model.vision;

import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * What a CLIP vision tower computes, as a SHA-256 digest of its content: the config fields that change the
 * computation, then every tensor of the tower proper ({@code vision_model.*}, never {@code visual_projection}) in
 * name order, each as its name relative to the tower's prefix, stored dtype, shape and raw bytes. Two towers with
 * one digest compute the same features, whichever checkpoint, file order or key spelling they came from: the
 * LLaVA paradigm freezes CLIP, so the experts of one mixture (and the router's CLIP) usually share one.
 *
 * <p>Tensors are hashed one by one, in parallel, and their digests combined in name order: the bytes are read
 * once, from the page cache after the first load.
 */
public final class TowerDigest {

    private static final int CHUNK = 1 << 20;

    private TowerDigest() {}

    /** Hex SHA-256 of the tower under {@code prefix} ({@code vision_tower.} in LLaVA, empty in CLIP). */
    public static String of(CheckpointTensors tensors, ClipVisionConfig config, String prefix) {
        List<String> names = ClipVisionModel.towerShapes(config, prefix).keySet().stream()
                .sorted()
                .toList();
        List<byte[]> parts = names.parallelStream()
                .map(name -> tensorDigest(tensors, name, name.substring(prefix.length())))
                .toList();
        MessageDigest total = sha256();
        total.update(config.computeSignature().getBytes(StandardCharsets.UTF_8));
        parts.forEach(total::update);
        return HexFormat.of().formatHex(total.digest());
    }

    private static byte[] tensorDigest(CheckpointTensors tensors, String canonical, String relativeName) {
        TensorInfo info = tensors.find(canonical)
                .orElseThrow(() -> new ModelLoadException(
                        "tensor '" + tensors.originalName(canonical) + "' is missing from " + tensors.directory()));
        MessageDigest digest = sha256();
        String header = relativeName + "\u0000" + info.dtype() + "\u0000" + Arrays.toString(info.shape()) + "\u0000";
        digest.update(header.getBytes(StandardCharsets.UTF_8));
        try (FileChannel channel = FileChannel.open(info.file(), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, info.byteLength())));
            long position = info.begin();
            while (position < info.end()) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), info.end() - position));
                int read = channel.read(buffer, position);
                if (read < 0) {
                    throw new IOException("unexpected end of file");
                }
                digest.update(buffer.array(), 0, read);
                position += read;
            }
        } catch (IOException e) {
            throw new ModelLoadException(
                    info.file() + ": cannot read tensor '" + info.name() + "' to digest it: " + e.getMessage(), e);
        }
        return digest.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
