package io.tributary.server.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELResolver;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A checkpoint's Jinja chat template, rendered as transformers' {@code apply_chat_template} renders it: blocks
 * trimmed and left-stripped, {@code messages}, {@code add_generation_prompt} and the tokenizer's special tokens in
 * scope, {@code raise_exception} and {@code strftime_now} available. Thread-safe.
 *
 * <p>Templates read a message's content in one of two ways, and a template written for one breaks on the other:
 * as a string (Llama 3, Qwen) or as a list of typed parts, where images are {@code {"type": "image"}} parts
 * (llava-hf, Gemma 3). As vLLM does, the template's source tells which: a loop over a message's content means
 * parts. For a string template, each image becomes the experts' image placeholder inside the text.
 */
public final class ChatTemplate {

    /** A loop over {@code message['content']} or {@code message.content}, under any variable name. */
    private static final Pattern LOOPS_OVER_CONTENT =
            Pattern.compile("for\\s+\\w+\\s+in\\s+\\w+\\s*(\\[\\s*['\"]content['\"]\\s*\\]|\\.content)");

    private static final String RAISED = "chat template raised: ";

    private final String source;
    private final Map<String, String> specialTokens;
    private final boolean contentAsParts;
    private final Jinjava engine;
    private final ThreadLocal<Parsed> parsed = ThreadLocal.withInitial(this::parse);

    /**
     * The template parsed once per thread, and that thread's copy of the engine's functions and filters. The engine's
     * own {@code renderForResult} builds both again for every render (the copy registers every built-in filter, tag
     * and function anew), which cost more than the rendering itself on every request.
     */
    private record Parsed(Node root, Context functions, List<TemplateError> errors) {}

    /**
     * @param source        the template's Jinja source
     * @param specialTokens the tokenizer's named special tokens ({@code bos_token}, {@code eos_token}, ...)
     */
    public ChatTemplate(String source, Map<String, String> specialTokens) {
        this.source = JinjavaRewrites.apply(source);
        this.specialTokens = Map.copyOf(specialTokens);
        this.contentAsParts = LOOPS_OVER_CONTENT.matcher(source).find();
        this.engine = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(16L << 20)
                .withElResolver(resolver())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUsePyishObjectMapper(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build());
        engine.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        engine.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        engine.getGlobalContext().registerFilter(new PythonJsonFilter());
        engine.getGlobalContext().registerExpTest(new PythonIterableTest());
    }

    /** Python's string methods first, then the engine's own resolution (read-only: templates are untrusted). */
    private static ELResolver resolver() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return resolver;
    }

    /** The template's text, to read conventions from (how it writes tool calls). */
    public String source() {
        return source;
    }

    /** Whether the template reads message content as a list of typed parts rather than as a string. */
    public boolean readsContentAsParts() {
        return contentAsParts;
    }

    /**
     * Renders a conversation.
     *
     * @param imagePlaceholder what an image stands as in the text, for templates that read content as a string
     * @throws ChatTemplateException if the template refuses the conversation or cannot be rendered
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, String imagePlaceholder) {
        return render(messages, addGenerationPrompt, imagePlaceholder, null);
    }

    /**
     * Renders a conversation with the tools the model may call, as the template's {@code tools} ({@code null}:
     * left undefined, as transformers leaves it without tools).
     */
    public String render(
            List<ChatMessage> messages, boolean addGenerationPrompt, String imagePlaceholder, List<Object> tools) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        if (tools != null) {
            context.put("tools", tools);
        }
        List<Map<String, Object>> wire = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            wire.add(message.toTemplateInput(contentAsParts, imagePlaceholder));
        }
        context.put("messages", wire);
        context.put("add_generation_prompt", addGenerationPrompt);
        Parsed template = parsed.get();
        JinjavaInterpreter interpreter = new JinjavaInterpreter(
                engine,
                new Context(
                        template.functions(), context, engine.getGlobalConfig().getDisabled()),
                engine.getGlobalConfig());
        String output;
        List<TemplateError> errors = new ArrayList<>(template.errors());
        try {
            output = interpreter.render(template.root());
            errors.addAll(interpreter.getErrorsCopy());
        } catch (RuntimeException e) {
            errors.add(TemplateError.fromException(e));
            output = "";
        } finally {
            template.functions().reset(); // what a render resolved is pushed up to it
        }
        for (TemplateError error : errors) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException(messageOf(error));
            }
        }
        // As the engine's own rendering does, and Python's Jinja by default: one trailing newline is dropped.
        boolean strip = !engine.getGlobalConfig().isKeepTrailingNewline() && output.endsWith("\n");
        return strip ? output.substring(0, output.length() - 1) : output;
    }

    private Parsed parse() {
        JinjavaInterpreter parser = engine.newInterpreter();
        Node root = parser.parse(source);
        return new Parsed(root, parser.getContext(), parser.getErrorsCopy());
    }

    private static String messageOf(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            int raised = message.indexOf(RAISED);
            if (raised >= 0) {
                return message.substring(raised + RAISED.length()); // the template's words: roles must alternate, ...
            }
        }
        return "the chat template cannot be rendered (line " + error.getLineno() + "): " + error.getMessage();
    }

    /** {@code raise_exception(message)}: how templates refuse a conversation, e.g. roles that do not alternate. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(RAISED + message);
    }

    /** {@code strftime_now(format)}: Llama 3.1's templates date their system prompt. */
    public static String strftimeNow(String format) {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern(StrftimeFormat.toJava(format)));
    }
}
