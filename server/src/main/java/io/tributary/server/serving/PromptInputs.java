package io.tributary.server.serving;

import io.tributary.routing.ImageInput;
import io.tributary.server.config.TributaryProperties;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a TGI-style {@code inputs} string into text and images. As in text-generation-inference, an image is
 * written inline as markdown, {@code ![](data:image/png;base64,...)}; each becomes the experts' image placeholder
 * in the text, and its bytes an {@link ImageInput}, in order. Only data URIs are accepted: fetching URLs on a
 * client's behalf would let any client make the server call any address.
 *
 * @param text   the prompt with each image replaced by the placeholder
 * @param images the images, in the order they appear
 */
public record PromptInputs(String text, List<ImageInput> images) {

    private static final Pattern MARKDOWN_IMAGE = Pattern.compile("!\\[[^\\]]*\\]\\(([^)\\s]*)\\)");
    private static final Pattern DATA_URI =
            Pattern.compile("data:([\\w.+-]+/[\\w.+-]+)(;[\\w-]+=[\\w.-]+)*;base64,(.*)", Pattern.DOTALL);
    /** The start of an inline data-URI image, well-formed or not: what a client meant as an image. */
    private static final Pattern IMAGE_START = Pattern.compile("!\\[[^\\]]*\\]\\(\\s*data:", Pattern.CASE_INSENSITIVE);

    private static final Set<String> MEDIA_TYPES =
            Set.of("image/png", "image/jpeg", "image/jpg", "image/gif", "image/bmp");

    /**
     * @param placeholder the text of the experts' image placeholder; {@code null} when they read text only
     * @throws RequestValidationException naming the image when one cannot be read or the experts read no images
     */
    static PromptInputs parse(String inputs, String placeholder, int maxImages) {
        return parse(inputs, placeholder, maxImages, ImageFetcher.NONE);
    }

    /** @param remote gets the images given by {@code http(s)} URL */
    static PromptInputs parse(String inputs, String placeholder, int maxImages, ImageFetcher remote) {
        Matcher matcher = MARKDOWN_IMAGE.matcher(inputs);
        StringBuilder text = new StringBuilder();
        List<ImageInput> images = new ArrayList<>();
        int last = 0;
        while (matcher.find()) {
            refuseBrokenImages(inputs.substring(last, matcher.start()), images.size() + 1);
            int number = images.size() + 1;
            if (placeholder == null) {
                throw new RequestValidationException(
                        "`inputs` contains an image, but this mixture's experts read " + "text only");
            }
            if (number > maxImages) {
                throw new RequestValidationException("`inputs` may contain at most " + maxImages + " images (the "
                        + "limit is " + TributaryProperties.Limits.MAX_IMAGES + ")");
            }
            images.add(decode(matcher.group(1), number, remote));
            text.append(inputs, last, matcher.start()).append(placeholder);
            last = matcher.end();
        }
        refuseBrokenImages(inputs.substring(last), images.size() + 1);
        text.append(inputs.substring(last));
        return new PromptInputs(text.toString(), images);
    }

    /** Text between well-formed images must not hold a malformed one: it would be read as words, silently. */
    private static void refuseBrokenImages(String text, int number) {
        if (IMAGE_START.matcher(text).find()) {
            throw new RequestValidationException("image " + number + ": an inline image must be written "
                    + "`![](data:image/png;base64,...)` with no spaces or line breaks inside the parentheses");
        }
    }

    /**
     * Decodes a base64 data URI, as images come in TGI's markdown and in OpenAI's {@code image_url} parts.
     *
     * @param label how the error names the image ("image 2", "messages[0].content[1].image_url")
     */
    public static ImageInput decodeDataUri(String uri, String label) {
        Matcher dataUri = DATA_URI.matcher(uri);
        if (!dataUri.matches()) {
            throw new RequestValidationException(label + ": only base64 data URIs are accepted "
                    + "(`data:image/png;base64,...`), not " + abbreviate(uri));
        }
        String mediaType = dataUri.group(1).toLowerCase(Locale.ROOT);
        if (!MEDIA_TYPES.contains(mediaType)) {
            throw new RequestValidationException(
                    label + ": unsupported media type " + mediaType + "; use PNG, JPEG, GIF or BMP");
        }
        try {
            return new ImageInput(Base64.getDecoder().decode(dataUri.group(3)), mediaType);
        } catch (IllegalArgumentException e) {
            throw new RequestValidationException(label + ": the data URI is not valid base64");
        }
    }

    private static ImageInput decode(String uri, int number, ImageFetcher remote) {
        if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
            return remote.fetch(uri, "image " + number);
        }
        Matcher dataUri = DATA_URI.matcher(uri);
        if (!dataUri.matches()) {
            throw new RequestValidationException("image " + number + ": only base64 data URIs are accepted "
                    + "(`![](data:image/png;base64,...)`), not " + abbreviate(uri));
        }
        return decodeDataUri(uri, "image " + number);
    }

    private static String abbreviate(String uri) {
        return uri.length() <= 40 ? "'" + uri + "'" : "'" + uri.substring(0, 40) + "...'";
    }
}
