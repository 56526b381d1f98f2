package io.tributary.tools.router;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlavaSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * The speed of {@code features} with a CLIP of ViT-B/16's shapes (224 px, 16-px patches, width 768, 12 layers,
 * projection 512) and random weights, on drawn 640×480 images: the figure does not depend on the weights' values.
 */
@Command(
        name = "bench-features",
        mixinStandardHelpOptions = true,
        description = "Time 'features' with a ViT-B/16-shaped CLIP (random weights) on drawn images.")
final class BenchFeaturesCommand implements Callable<Integer> {

    @Option(names = "--images", defaultValue = "64")
    int images;

    @Option(names = "--batch-size", defaultValue = "16")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("bench-features");
        TinyLlavaSpec vitB16 = new TinyLlavaSpec(
                32, 1, 4, 4, 37, 512, 224, 16, 768, 12, 12, 3072, 512, -2, false, SafetensorsDType.F32, false);
        TinyClip.write(dir.resolve("clip"), vitB16, 1, false);
        Path folder = Files.createDirectories(dir.resolve("images"));
        Random random = new Random(1);
        for (int i = 0; i < images; i++) {
            BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setColor(new Color(random.nextInt(1 << 24)));
            g.fillRect(0, 0, 640, 480);
            g.setColor(new Color(random.nextInt(1 << 24)));
            g.fillOval(random.nextInt(320), random.nextInt(240), 200, 150);
            g.dispose();
            ImageIO.write(
                    image, "png", folder.resolve(String.format("%04d.png", i)).toFile());
        }
        return RouterTools.run(
                "features",
                "--clip",
                dir.resolve("clip").toString(),
                "--images",
                folder.toString(),
                "--batch-size",
                Integer.toString(batchSize),
                "-o",
                dir.resolve("features.safetensors").toString());
    }
}
