package io.tributary.model.decoder;

/**
 * How a decoder keeps keys and values: positions per block of its paged cache, whether full blocks are kept for
 * prompts that start the same way, and how many bytes of such blocks it keeps when no request holds them.
 */
public record KvCacheSettings(int blockPositions, boolean prefixReuse, long prefixCacheBytes) {

    /** vLLM's block size; prefix reuse on, up to 256 MiB of blocks no request holds. */
    public static final KvCacheSettings DEFAULT = new KvCacheSettings(16, true, 256L << 20);

    public KvCacheSettings {
        if (blockPositions < 1 || blockPositions > 1024) {
            throw new IllegalArgumentException("a KV cache block holds 1 to 1024 positions, got " + blockPositions);
        }
        if (prefixCacheBytes < 0) {
            throw new IllegalArgumentException("the prefix cache size cannot be negative, got " + prefixCacheBytes);
        }
    }

    /** Blocks kept for reuse, for a decoder whose position takes {@code bytesPerPosition} bytes. */
    int maxCachedBlocks(long bytesPerPosition) {
        if (!prefixReuse) {
            return 0;
        }
        return (int) Math.min(Integer.MAX_VALUE, prefixCacheBytes / (bytesPerPosition * blockPositions));
    }
}
