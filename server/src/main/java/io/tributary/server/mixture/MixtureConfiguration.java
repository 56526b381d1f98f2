package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.ImageLimits;
import io.tributary.server.chat.ChatMessage;
import io.tributary.server.chat.ChatTemplate;
import io.tributary.server.chat.ChatTemplateException;
import io.tributary.server.chat.ChatTemplates;
import io.tributary.server.config.InvalidSettingException;
import io.tributary.server.config.TributaryProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads the mixture at start-up: the server only reports ready once every expert is in memory. */
@Configuration(proxyBeanMethods = false)
class MixtureConfiguration {

    @Bean(destroyMethod = "close")
    ServedModel servedModel(TributaryProperties properties) {
        Path manifest = properties.mixture() != null ? properties.mixture()
                : EmbeddedDefaultMixture.ensure(properties.cacheDir());
        TributaryProperties.Engine engine = properties.engine();
        LoadOptions options = new LoadOptions(engine.device(), engine.precision(), engine.weightLoading());
        TributaryProperties.Limits limits = properties.limits();
        MixtureLoader loader = new MixtureLoader(options,
                new ImageLimits(limits.maxImageBytes().toBytes(), limits.maxImagePixels()));
        // Cheapest first: a mistake in the manifest fails before the native engine starts, a missing GPU before
        // any weight is read.
        MixtureLoader.Checked mixture = loader.check(manifest);
        NativeTarget.requireDevice(options);
        ChatTemplate chatTemplate = properties.chatTemplate() == null ? null
                : chatTemplate(properties.chatTemplate(), mixture.directories().get(0));
        NativeTarget.setIntraOpThreads(engine.threads());
        ServedModel served = loader.load(mixture);
        return chatTemplate == null ? served : served.withChatTemplate(chatTemplate);
    }

    /** The operator's template, checked by rendering a one-line conversation before any expert loads. */
    private static ChatTemplate chatTemplate(Path file, Path checkpoint) {
        if (!Files.isReadable(file)) {
            throw new InvalidSettingException(CHAT_TEMPLATE, file + " cannot be read",
                    "Point it at a Jinja chat template file, or leave it unset to use the checkpoints' own.", null);
        }
        ChatTemplate template = ChatTemplates.fromFile(file, checkpoint);
        try {
            template.render(List.of(ChatMessage.text("user", "hello")), true, "<image>");
        } catch (ChatTemplateException e) {
            throw new InvalidSettingException(CHAT_TEMPLATE, file + " does not render a conversation: "
                    + e.getMessage(), "Fix the template, or leave the setting unset.", e);
        }
        return template;
    }

    private static final String CHAT_TEMPLATE = "tributary.chat-template";
}
