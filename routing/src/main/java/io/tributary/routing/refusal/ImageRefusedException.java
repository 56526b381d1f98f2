package io.tributary.routing.refusal;

/**
 * An image the experts cannot read or place: not a PNG, JPEG, GIF or BMP file, corrupt or truncated, over a size
 * limit, sent to a text-only expert, or not matched one to one by the prompt's image placeholders. Open to
 * subclasses that say more (which limit an image is over).
 */
public class ImageRefusedException extends RequestRefusedException {

    public ImageRefusedException(String message) {
        super(message);
    }

    public ImageRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
