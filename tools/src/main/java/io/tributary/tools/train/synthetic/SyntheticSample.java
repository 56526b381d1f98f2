package io.tributary.tools.train.synthetic;

/**
 * One sample of a written task, as its JSON file holds it.
 *
 * @param imagePath the image, relative to the folder holding the JSON file, e.g. {@code images/bars/test-00003.png}
 * @param question the question without the {@code <image>} placeholder line
 */
public record SyntheticSample(String id, String domain, String imagePath, String question, String answer) {}
