package io.tributary.model.image;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * InternVL's dynamic tiling grid ({@code dynamic_preprocess} / {@code find_closest_aspect_ratio} in OpenGVLab's
 * README, {@code get_optimal_tiled_canvas} in transformers' GotOcr2 processor): among the grids of
 * {@code columns x rows} tiles with {@code minTiles <= columns * rows <= maxTiles}, the one whose aspect ratio is
 * closest to the image's; on a tie, a later grid (more tiles) wins only while the image's area exceeds half the
 * grid's area in pixels, so a small image is not blown up into many tiles.
 *
 * <p>Candidates are visited by tile count, then columns, then rows (GotOcr2's order; OpenGVLab sorts a Python set,
 * whose order within one tile count can differ, but the grids of one count that tie are mirror images, and the
 * 1 x 1 grid always beats such a pair when {@code minTiles} is 1).
 */
public record TileGrid(int columns, int rows) {

    public int tiles() {
        return columns * rows;
    }

    public static TileGrid choose(int width, int height, int tileSize, int minTiles, int maxTiles) {
        if (minTiles < 1 || maxTiles < minTiles) {
            throw new IllegalArgumentException("need 1 <= min tiles <= max tiles, got " + minTiles + ", " + maxTiles);
        }
        double aspectRatio = (double) width / height;
        long area = (long) width * height;
        double bestDiff = Double.POSITIVE_INFINITY;
        TileGrid best = new TileGrid(1, 1);
        for (TileGrid grid : candidates(minTiles, maxTiles)) {
            double diff = Math.abs(aspectRatio - (double) grid.columns / grid.rows);
            if (diff < bestDiff) {
                bestDiff = diff;
                best = grid;
            } else if (diff == bestDiff && area > 0.5 * tileSize * tileSize * grid.columns * grid.rows) {
                best = grid;
            }
        }
        return best;
    }

    static List<TileGrid> candidates(int minTiles, int maxTiles) {
        List<TileGrid> grids = new ArrayList<>();
        for (int columns = 1; columns <= maxTiles; columns++) {
            for (int rows = 1; rows <= maxTiles; rows++) {
                int tiles = columns * rows;
                if (tiles >= minTiles && tiles <= maxTiles) {
                    grids.add(new TileGrid(columns, rows));
                }
            }
        }
        grids.sort(Comparator.comparingInt(TileGrid::tiles)); // stable: keeps columns-then-rows order within a count
        return grids;
    }
}
