package io.tributary.tools.train.synthetic;

import java.awt.image.BufferedImage;

/**
 * One sample rendered in memory.
 *
 * @param rgb {@link SyntheticTask#IMAGE_SIZE}² row-major {@code 0xRRGGBB} pixels (a record compares arrays by
 *            identity: compare pixels with {@code Arrays.equals})
 */
public record RenderedSample(String id, String domain, int[] rgb, String question, String answer) {

    public BufferedImage image() {
        return Raster.toImage(rgb, SyntheticTask.IMAGE_SIZE);
    }
}
