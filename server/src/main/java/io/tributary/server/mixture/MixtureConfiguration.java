package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.model.image.ImageLimits;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.tracing.GrpcTracing;
import io.tributary.routing.Expert;
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

    /** The manifest and everything it names, checked (remote experts connected) before anything loads. */
    @Bean
    MixtureLoader.Checked checkedMixture(TributaryProperties properties, GrpcTracing tracing) {
        Path manifest = properties.mixture() != null
                ? properties.mixture()
                : EmbeddedDefaultMixture.ensure(properties.cacheDir());
        MixtureLoader.Checked mixture = loader(properties, tracing).check(manifest);
        if (properties.role() == TributaryProperties.Role.EXPERT) {
            ExpertRoleCheck.requireLocalExperts(mixture);
        }
        return mixture;
    }

    @Bean(destroyMethod = "close")
    ServedModel servedModel(TributaryProperties properties, MixtureLoader.Checked mixture, GrpcTracing tracing)
            throws Exception {
        // Cheapest first: a mistake in the manifest fails before the native engine starts, a missing GPU before
        // any weight is read.
        TributaryProperties.Engine engine = properties.engine();
        LoadOptions options = loadOptions(properties);
        NativeTarget.requireDevice(options);
        ChatTemplate chatTemplate = properties.chatTemplate() == null
                ? null
                : chatTemplate(properties.chatTemplate(), mixture.directories().get(0));
        NativeTarget.setIntraOpThreads(engine.threads());
        ServedModel served = loader(properties, tracing).load(mixture);
        KvCacheSettings kvCache = new KvCacheSettings(
                engine.kvBlockSize(),
                engine.prefixCache(),
                engine.prefixCacheSize().toBytes());
        for (Expert expert : served.mixture().experts()) {
            if (expert instanceof DecoderExpert decoder) {
                decoder.batchDecoder().configure(kvCache);
            }
        }
        if (chatTemplate == null) {
            try {
                served.prompts().chatTemplate().ifPresent(MixtureConfiguration::probeCheckpointTemplate);
            } catch (InvalidSettingException e) {
                served.close();
                throw e;
            }
        }
        return chatTemplate == null ? served : served.withChatTemplate(chatTemplate);
    }

    /**
     * The checkpoints' own template must render a one-line conversation, or the server does not start: every chat
     * request would fail otherwise, each with the same error.
     */
    private static void probeCheckpointTemplate(ChatTemplate template) {
        try {
            template.render(List.of(ChatMessage.text("user", "hello")), true, "<image>");
        } catch (ChatTemplateException e) {
            throw new InvalidSettingException(
                    CHAT_TEMPLATE,
                    "unset, and the checkpoints' own chat template (chat_template in tokenizer_config.json) does not"
                            + " render a conversation: " + e.getMessage(),
                    "Set tributary.chat-template to a Jinja file that renders this model's conversations.",
                    e);
        }
    }

    private static LoadOptions loadOptions(TributaryProperties properties) {
        TributaryProperties.Engine engine = properties.engine();
        try {
            return new LoadOptions(
                    engine.device(),
                    engine.precision(),
                    engine.weightLoading(),
                    engine.quantization(),
                    engine.groupSize());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(
                    "tributary.engine.quantization",
                    e.getMessage(),
                    "Change "
                            + "tributary.engine.quantization, precision, group-size or device so that they fit together.",
                    e);
        }
    }

    private static MixtureLoader loader(TributaryProperties properties, GrpcTracing tracing) {
        TributaryProperties.Limits limits = properties.limits();
        TributaryProperties.Remote remote = properties.remote();
        return new MixtureLoader(
                loadOptions(properties),
                new ImageLimits(limits.maxImageBytes().toBytes(), limits.maxImagePixels()),
                new RemoteOptions(
                        remote.callTimeout(),
                        remote.compactEpsilon(),
                        LinkSecurity.gateway(remote),
                        remote.startupWait(),
                        tracing,
                        remote.replicaRefresh()),
                properties.cacheDir().resolve("remote-tokenizers"));
    }

    /** The operator's template, checked by rendering a one-line conversation before any expert loads. */
    private static ChatTemplate chatTemplate(Path file, Path checkpoint) {
        if (!Files.isReadable(file)) {
            throw new InvalidSettingException(
                    CHAT_TEMPLATE,
                    file + " cannot be read",
                    "Point it at a Jinja chat template file, or leave it unset to use the checkpoints' own.",
                    null);
        }
        ChatTemplate template = ChatTemplates.fromFile(file, checkpoint);
        try {
            template.render(List.of(ChatMessage.text("user", "hello")), true, "<image>");
        } catch (ChatTemplateException e) {
            throw new InvalidSettingException(
                    CHAT_TEMPLATE,
                    file + " does not render a conversation: " + e.getMessage(),
                    "Fix the template, or leave the setting unset.",
                    e);
        }
        return template;
    }

    private static final String CHAT_TEMPLATE = "tributary.chat-template";
}
