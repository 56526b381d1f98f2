package io.tributary.tools.router;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

/** Images of visually distinct kinds, each drawn with small random variations. */
final class DrawnImages {

    enum Kind {
        RED_DISC,
        BLUE_STRIPES,
        GREEN_SQUARE
    }

    private DrawnImages() {}

    static byte[] png(Kind kind, long seed) throws IOException {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        int jitter = random.nextInt(6);
        switch (kind) {
            case RED_DISC -> {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, 40, 40);
                g.setColor(new Color(200 + random.nextInt(56), 0, 0));
                g.fillOval(5 + jitter, 5 + jitter, 26, 26);
            }
            case BLUE_STRIPES -> {
                g.setColor(Color.BLACK);
                g.fillRect(0, 0, 40, 40);
                g.setColor(new Color(0, 0, 200 + random.nextInt(56)));
                for (int x = jitter; x < 40; x += 8) {
                    g.fillRect(x, 0, 4, 40);
                }
            }
            case GREEN_SQUARE -> {
                g.setColor(Color.GRAY);
                g.fillRect(0, 0, 40, 40);
                g.setColor(new Color(0, 180 + random.nextInt(76), 0));
                g.fillRect(8 + jitter, 8 + jitter, 20, 20);
            }
        }
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }
}
