import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import java.io.File;
import java.util.UUID;

/**
 * Greedy single-stream decoding with Jlama on a Hugging Face checkpoint directory, float32 weights and working
 * memory: prints the decode speed the way Tributary's serving benchmark measures it (generated tokens over the time
 * after the first one).
 *
 * <p>usage: JlamaDecode DIR TOKENS
 */
public final class JlamaDecode {

    private static final String PROMPT = "The river bends where the old mill stands, and";

    public static void main(String[] args) {
        File dir = new File(args[0]);
        int tokens = Integer.parseInt(args[1]);
        AbstractModel model = ModelSupport.loadModel(dir, DType.F32, DType.F32);
        int promptTokens = model.getTokenizer().encode(PROMPT).length; // Jlama's limit counts the prompt too
        model.generate(UUID.randomUUID(), PromptContext.of(PROMPT), 0.0f, promptTokens + 8, (text, time) -> { });
        long[] arrivals = new long[tokens + 1];
        int[] count = {0};
        Generator.Response response = model.generate(UUID.randomUUID(), PromptContext.of(PROMPT), 0.0f,
                promptTokens + tokens,
                (text, time) -> {
                    if (count[0] < arrivals.length) {
                        arrivals[count[0]++] = System.nanoTime();
                    }
                });
        int n = count[0];
        double decodeSeconds = (arrivals[n - 1] - arrivals[0]) / 1e9;
        System.out.printf("jlama  %d tokens, decode %.2f tokens/s (generate %d ms for %d tokens, prompt %d ms)%n",
                n, (n - 1) / decodeSeconds, response.generateTimeMs, response.generatedTokens, response.promptTimeMs);
    }
}
