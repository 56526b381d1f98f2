package io.tributary.model.decoder;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What a full KV cache block holds, as the SHA-256 of the key of the block before it and of each of its positions'
 * inputs (a token id, or an image's digest and the place in it). Two blocks with equal keys follow the same inputs
 * from position 0, so in one expert they hold the same keys and values, and the first can stand for the second (as
 * vLLM's prefix caching keys its blocks). A 256-bit digest makes a collision, accidental or crafted, out of reach.
 *
 * <p>A partial key names the first positions of a block only ({@link #ofPartial}); it is marked as such, so it never
 * equals the key of a full block.
 */
record BlockKey(long a, long b, long c, long d) {

    private static final byte TOKEN = 1;
    private static final byte IMAGE = 2;
    private static final byte PARTIAL = 3;

    /** The key of the block that follows {@code parent} ({@code null} for the first) and holds what was fed. */
    static BlockKey of(BlockKey parent, MessageDigest contents) {
        byte[] contentDigest = contents.digest();
        MessageDigest digest = sha256();
        if (parent != null) {
            digest.update(ByteBuffer.allocate(32)
                    .putLong(parent.a)
                    .putLong(parent.b)
                    .putLong(parent.c)
                    .putLong(parent.d)
                    .array());
        }
        digest.update(contentDigest);
        ByteBuffer key = ByteBuffer.wrap(digest.digest());
        return new BlockKey(key.getLong(), key.getLong(), key.getLong(), key.getLong());
    }

    /**
     * The key of the first positions of a block, those fed to {@code contents} so far; {@code contents} itself is left
     * as it was, to be fed further.
     */
    static BlockKey ofPartial(BlockKey parent, MessageDigest contents) {
        try {
            MessageDigest soFar = (MessageDigest) contents.clone();
            soFar.update(PARTIAL);
            return of(parent, soFar);
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the platform's SHA-256 digests can be cloned", e);
        }
    }

    /** A digest for a block's contents. */
    static MessageDigest contents() {
        return sha256();
    }

    static void feedToken(MessageDigest digest, int tokenId) {
        digest.update(TOKEN);
        digest.update(ByteBuffer.allocate(4).putInt(tokenId).array());
    }

    static void feedImage(MessageDigest digest, byte[] imageDigest, int place) {
        digest.update(IMAGE);
        digest.update(imageDigest);
        digest.update(ByteBuffer.allocate(4).putInt(place).array());
    }

    /** SHA-256 of {@code bytes}: an image's identity. */
    static byte[] sha256(byte[] bytes) {
        return sha256().digest(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
