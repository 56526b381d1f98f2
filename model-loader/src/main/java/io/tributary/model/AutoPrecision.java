package io.tributary.model;

import io.tributary.model.safetensors.SafetensorsCheckpoint;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@link Precision#AUTO} means for one checkpoint, as vLLM's {@code dtype: auto} does: the precision the
 * checkpoint is stored in, where the device computes in it. A float32 checkpoint stays float32. A half-precision
 * one stays half: on a GPU as float16 (DJL cannot hold bfloat16 arrays); on a CPU as bfloat16 when the CPU has
 * bfloat16 arithmetic (AVX512-BF16 or AMX), since no common CPU computes in float16; on a CPU with neither it is
 * widened to float32, the one type it computes in natively.
 */
public final class AutoPrecision {

    private static final Logger LOG = LoggerFactory.getLogger(AutoPrecision.class);
    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");
    private static final Pattern FLAGS = Pattern.compile("(?m)^flags\\s*:(.*)$");
    private static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");
    private static volatile Boolean cpuBf16;

    private AutoPrecision() {}

    /** {@code options} with AUTO replaced by the precision for the checkpoint in {@code directory}. */
    public static LoadOptions resolve(LoadOptions options, Path directory) {
        if (options.precision() != Precision.AUTO) {
            return options;
        }
        SafetensorsDType stored = storedType(directory);
        Precision chosen = choose(stored, options.isGpu(), cpuHasBf16());
        LOG.info(
                "{}: precision auto is {} (weights stored as {} on {})",
                directory,
                chosen.name().toLowerCase(java.util.Locale.ROOT),
                stored,
                options.device());
        return options.withPrecision(chosen);
    }

    /** The rule itself: the stored type, on a GPU or a CPU with or without bfloat16 arithmetic. */
    static Precision choose(SafetensorsDType stored, boolean gpu, boolean cpuBf16) {
        if (stored == SafetensorsDType.F32) {
            return Precision.FP32;
        }
        if (gpu) {
            return Precision.FP16;
        }
        return cpuBf16 ? Precision.BF16 : Precision.FP32;
    }

    /**
     * The float type most of the checkpoint's float bytes are stored in (an AWQ checkpoint's int32-packed weights
     * aside: its scales, embedding and head say what it computes in).
     */
    static SafetensorsDType storedType(Path directory) {
        Map<SafetensorsDType, Long> bytes = new EnumMap<>(SafetensorsDType.class);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(directory);
        for (String name : checkpoint.names()) {
            TensorInfo info = checkpoint.info(name);
            if (info.dtype() != SafetensorsDType.I32) {
                bytes.merge(info.dtype(), info.byteLength(), Long::sum);
            }
        }
        return bytes.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(SafetensorsDType.F32);
    }

    /** Whether this machine's CPU has bfloat16 arithmetic, from the flags Linux lists in /proc/cpuinfo. */
    public static boolean cpuHasBf16() {
        Boolean known = cpuBf16;
        if (known == null) {
            known = false;
            try {
                var flags = FLAGS.matcher(Files.isReadable(CPU_INFO) ? Files.readString(CPU_INFO) : "");
                if (flags.find()) {
                    for (String flag : flags.group(1).trim().split("\\s+")) {
                        known |= BF16_FLAGS.contains(flag);
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot read {}: {}", CPU_INFO, e.toString());
            }
            cpuBf16 = known;
        }
        return known;
    }
}
