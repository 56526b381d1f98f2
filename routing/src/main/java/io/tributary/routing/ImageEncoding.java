package io.tributary.routing;

/**
 * When a session turned its prompt's images into input embeddings (vision tower, projector and splice), between two
 * {@link System#nanoTime()} readings: for traces. On a GPU the readings bound the launch of the work, which may
 * finish later.
 *
 * @param images how many images the prompt holds
 */
public record ImageEncoding(int images, long startNanos, long endNanos) {}
