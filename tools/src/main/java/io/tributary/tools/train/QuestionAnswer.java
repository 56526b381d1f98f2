package io.tributary.tools.train;

import java.nio.file.Path;

/**
 * One image question with its short answer, as a LLaVA dataset sample holds it (the first human turn without its
 * {@code <image>} line, the first model turn).
 *
 * @param id     the sample's id
 * @param domain what kind of image it is, when the dataset says (for per-domain scores); may be empty
 * @param image  the image file
 */
public record QuestionAnswer(String id, String domain, Path image, String question, String answer) {}
