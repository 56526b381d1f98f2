package io.tributary.server;

import io.tributary.routing.Expert;
import io.tributary.routing.ImageInput;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingResources;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.server.chat.ChatTemplate;
import io.tributary.server.mixture.PromptEncoder;
import io.tributary.server.mixture.ServedModel;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Served mixtures of fake experts for web tests ({@code @TestBean} factories), so they need no native library:
 * letters for tokens, one token per input character.
 */
public final class FakeMixture {

    public static final int VOCABULARY = 64;
    public static final int EOS = 63;
    public static final int MAX_TOTAL_TOKENS = 256;

    private FakeMixture() {}

    public static ServedModel twoExperts() {
        return served(new FakeExpert("alpha", VOCABULARY, 1), new FakeExpert("beta", VOCABULARY, 2));
    }

    /** A chat template in the style of real ones: role-tagged turns, content read as a string. */
    public static final String CHAT_TEMPLATE = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
            + "{% if add_generation_prompt %}[assistant]{% endif %}";

    /** One token per character; images stand as {@code #} and are checked only for being non-empty. */
    static final class LetterPrompts implements PromptEncoder {
        @Override
        public int[] encode(String text) {
            return text.chars().map(c -> c % EOS).toArray();
        }

        @Override
        public int[] encodeRendered(String text) {
            return encode(text);
        }

        @Override
        public List<Token> tokenize(String text) {
            return IntStream.range(0, text.length())
                    .mapToObj(i -> new Token(text.charAt(i) % EOS, text.substring(i, i + 1), i, i + 1))
                    .toList();
        }

        @Override
        public Optional<ChatTemplate> chatTemplate() {
            return Optional.of(new ChatTemplate(CHAT_TEMPLATE, Map.of()));
        }

        @Override
        public Optional<String> imagePlaceholder() {
            return Optional.of("#");
        }

        @Override
        public void checkImage(ImageInput image) {
            if (image.bytes().length == 0) {
                throw new ImageRefusedException("the image is empty");
            }
        }
    }

    public static ServedModel served(Expert... experts) {
        Mixture mixture = new Mixture(
                "fake-mixture",
                List.of(experts),
                new UniformRouter(),
                new LetterDetokenizer(VOCABULARY, Set.of(EOS)),
                Set.of(EOS));
        Routers routers = new Routers(RoutingResources.none(experts.length));
        return new ServedModel(mixture, routers, new LetterPrompts(), MAX_TOTAL_TOKENS);
    }
}
