package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * ATen's reduced-precision matmuls, which DJL's API does not expose, as methods of a TorchScript module written by
 * {@link TorchScriptArchive}: bf16 {@code linear} (oneDNN on CPUs with AVX512-BF16), and the weight-only
 * {@code _weight_int8pack_mm} and {@code _weight_int4pack_mm_for_cpu}. Activations enter and leave as float32 and
 * are converted to bf16 inside the method: the int8 and int4 kernels are fast only with bf16 activations (with
 * float32 ones they were 5-8 times slower than a float32 matmul here). bf16 tensors never become DJL arrays (DJL
 * aborts the JVM on one); they live as {@link IValue}s.
 *
 * <p>The quantizers overwrite their float32 input, a block of rows read for them: rounding in place leaves loading
 * with one full-precision block and no temporaries of its size, which the C allocator would otherwise keep.
 *
 * <p>In the source, dtypes are written as ATen's codes (a dtype name does not compile in an archive loaded this way):
 * 0 uint8, 1 int8, 3 int32, 6 float32, 15 bfloat16.
 *
 * <p>{@code awq_unpack} reads AutoAWQ's packing: each int32 of {@code qweight} or {@code qzeros} holds 8 consecutive
 * output features, feature j in the nibble at bit 4 * [0, 4, 1, 5, 2, 6, 3, 7][j] (AutoAWQ packs features
 * [0, 2, 4, 6, 1, 3, 5, 7] into nibbles 0..7). {@code pack_int4} takes int4 values already quantised with a zero
 * point, w = (q - zero_point) * scale, and rewrites them for the kernel's w = (q - 8) * scale + zero by
 * zero = (8 - zero_point) * scale.
 *
 * <p>{@code unpack_int4} reverses {@code _convert_weight_to_int4pack_for_cpu} as ATen lays it out for AVX-512: rows in
 * blocks of 64, each block stored input feature by input feature as 32 bytes whose low nibbles are rows 0-31 of the
 * block and high nibbles rows 32-63; a last block of 16, 32 or 48 rows stores each feature's rows in pairs, the even row
 * in the low nibble. {@code linear_int8_dequantized} and {@code linear_int4_dequantized} multiply many rows by the
 * weight widened to bf16 (see {@link PackedProjection}).
 */
public final class Kernels {

    /** Group sizes the int4 kernel accepts. */
    public static final int[] INT4_GROUP_SIZES = {32, 64, 128, 256};

    private static final String SOURCE = """
              def to_bf16(self: __torch__.M, w: Tensor) -> Tensor:
                return torch.contiguous(w.to(15))
              def linear_bf16(self: __torch__.M, x: Tensor, w: Tensor) -> Tensor:
                return torch.linear(torch.contiguous(x.to(15)), w).to(6)
              def quantize_int8(self: __torch__.M, w: Tensor) -> Tuple[Tensor, Tensor]:
                peak = torch.maximum(torch.amax(w, [1]), torch.neg(torch.amin(w, [1])))
                scales = (torch.clamp(peak, 1e-30) / 127.0).to(15)
                q = w.div_(torch.unsqueeze(scales.to(6), 1)).round_().clamp_(-127.0, 127.0)
                return (torch.contiguous(q.to(1)), scales)
              def linear_int8(self: __torch__.M, x: Tensor, q: Tensor, scales: Tensor) -> Tensor:
                return torch._weight_int8pack_mm(torch.contiguous(x.to(15)), q, scales).to(6)
              def quantize_int4(self: __torch__.M, w: Tensor, group: int) -> Tuple[Tensor, Tensor]:
                rows = w.size(0)
                cols = w.size(1)
                padded = (rows + 15) // 16 * 16
                if padded != rows:
                  w = torch.constant_pad_nd(w, [0, 0, 0, padded - rows], 0.0)
                groups = torch.reshape(w, [padded, cols // group, group])
                scales = self.group_scales(groups)
                q = groups.div_(self.divisors(scales)).round_().add_(8.0).clamp_(0.0, 15.0)
                packed = torch._convert_weight_to_int4pack_for_cpu(torch.reshape(q, [padded, cols]).to(3), 2)
                scales_and_zeros = torch.cat([scales, torch.zeros_like(scales)], 2)
                return (packed, torch.contiguous(torch.transpose(scales_and_zeros, 0, 1)))
              def group_scales(self: __torch__.M, groups: Tensor) -> Tensor:
                high = torch.amax(groups, [2], True)
                low = torch.amin(groups, [2], True)
                return (torch.where(torch.ge(high, torch.neg(low)), high, low) / -8.0).to(15)
              def divisors(self: __torch__.M, scales: Tensor) -> Tensor:
                divisor = scales.to(6)
                return torch.where(torch.eq(divisor, 0.0), torch.ones_like(divisor), divisor)
              def awq_unpack(self: __torch__.M, packed: Tensor) -> Tensor:
                shifts = torch.tensor([0, 16, 4, 20, 8, 24, 12, 28])
                nibbles = torch.bitwise_and(torch.bitwise_right_shift(torch.unsqueeze(packed, 2), shifts), 15)
                return torch.contiguous(torch.reshape(nibbles, [packed.size(0), packed.size(1) * 8]).to(3))
              def pack_int4(self: __torch__.M, q: Tensor, scales: Tensor, zero_points: Tensor) -> Tuple[Tensor, Tensor]:
                rows = q.size(0)
                padded = (rows + 15) // 16 * 16
                s = scales.to(6)
                zeros = torch.rsub(zero_points.to(6), 8.0) * s
                q32 = torch.contiguous(q.to(3))
                if padded != rows:
                  q32 = torch.constant_pad_nd(q32, [0, 0, 0, padded - rows], 8)
                  s = torch.constant_pad_nd(s, [0, padded - rows], 0.0)
                  zeros = torch.constant_pad_nd(zeros, [0, padded - rows], 0.0)
                packed = torch._convert_weight_to_int4pack_for_cpu(q32, 2)
                return (packed, torch.contiguous(torch.stack([s, zeros], 2).to(15)))
              def linear_int4(self: __torch__.M, x: Tensor, packed: Tensor, group: int, sz: Tensor, rows: int) -> Tensor:
                y = torch._weight_int4pack_mm_for_cpu(torch.contiguous(x.to(15)), packed, group, sz)
                return torch.contiguous(torch.narrow(y, 1, 0, rows).to(6))
              def linear_int8_dequantized(self: __torch__.M, x: Tensor, q: Tensor, scales: Tensor) -> Tensor:
                return torch.linear(torch.contiguous(x.to(15)), q.to(15)).to(6).mul_(scales.to(6))
              def linear_int4_dequantized(self: __torch__.M, x: Tensor, packed: Tensor, group: int, sz: Tensor, rows: int) -> Tensor:
                cols = x.size(-1)
                q = self.unpack_int4(packed, cols)
                padded = q.size(0)
                s = torch.unsqueeze(torch.transpose(torch.select(sz, 2, 0), 0, 1), 2)
                z = torch.unsqueeze(torch.transpose(torch.select(sz, 2, 1), 0, 1), 2)
                groups = torch.reshape(q.to(15), [padded, cols // group, group]).sub_(8.0).mul_(s).add_(z)
                w = torch.narrow(torch.reshape(groups, [padded, cols]), 0, 0, rows)
                return torch.linear(torch.contiguous(x.to(15)), w).to(6)
              def unpack_int4(self: __torch__.M, packed: Tensor, cols: int) -> Tensor:
                flat = torch.reshape(packed, [-1])
                rows = flat.size(0) * 2 // cols
                full = rows // 64 * 64
                parts: List[Tensor] = []
                if full > 0:
                  blocks = torch.reshape(torch.narrow(flat, 0, 0, full * cols // 2), [full // 64, cols, 32])
                  q = torch.cat([torch.bitwise_and(blocks, 15), torch.bitwise_right_shift(blocks, 4)], 2)
                  parts.append(torch.reshape(torch.transpose(q, 1, 2), [full, cols]))
                if rows > full:
                  tail = rows - full
                  pairs = torch.reshape(torch.narrow(flat, 0, full * cols // 2, tail * cols // 2), [cols, tail // 2])
                  q = torch.stack([torch.bitwise_and(pairs, 15), torch.bitwise_right_shift(pairs, 4)], 2)
                  parts.append(torch.transpose(torch.reshape(q, [cols, tail]), 0, 1))
                return torch.cat(parts, 0)
              def unpacks_int4(self: __torch__.M) -> bool:
                q = torch.remainder(torch.reshape(torch.arange(80 * 64), [80, 64]) * 7 + 3, 16).to(3)
                packed = torch._convert_weight_to_int4pack_for_cpu(q, 2)
                return torch.equal(self.unpack_int4(packed, 64).to(3), q)
              def rows_like(self: __torch__.M, part: Tensor, dim: int, rows: int) -> Tensor:
                shape = part.size()
                shape[dim] = rows
                return torch.empty(shape, dtype=part.dtype)
              def put_rows(self: __torch__.M, whole: Tensor, part: Tensor, dim: int, start: int) -> int:
                torch.narrow(whole, dim, start, part.size(dim)).copy_(part)
                return start + part.size(dim)
              def quantize_rows_int4(self: __torch__.M, w: Tensor, group: int) -> Tuple[Tensor, Tensor]:
                rows = w.size(0)
                cols = w.size(1)
                groups = torch.reshape(w, [rows, cols // group, group])
                scales = self.group_scales(groups)
                q = groups.div_(self.divisors(scales)).round_().add_(8.0).clamp_(0.0, 15.0).to(0)
                pairs = torch.reshape(q, [rows, cols // 2, 2])
                packed = torch.bitwise_or(torch.select(pairs, 2, 0), torch.bitwise_left_shift(torch.select(pairs, 2, 1), 4))
                return (torch.contiguous(packed), torch.contiguous(torch.reshape(scales, [rows, cols // group])))
              def gather_blocks(self: __torch__.M, pool: Tensor, ids: Tensor) -> Tensor:
                return torch.index_select(pool, 1, ids)
              def embed_bf16(self: __torch__.M, w: Tensor, ids: Tensor) -> Tensor:
                return torch.index_select(w, 0, ids).to(6)
              def embed_int8(self: __torch__.M, q: Tensor, scales: Tensor, ids: Tensor) -> Tensor:
                rows = torch.index_select(q, 0, ids).to(6)
                return rows * torch.unsqueeze(torch.index_select(scales, 0, ids).to(6), 1)
              def embed_int4(self: __torch__.M, packed: Tensor, scales: Tensor, ids: Tensor) -> Tensor:
                rows = torch.index_select(packed, 0, ids)
                count = rows.size(0)
                q = torch.stack([torch.bitwise_and(rows, 15), torch.bitwise_right_shift(rows, 4)], 2)
                s = torch.index_select(scales, 0, ids).to(6)
                groups = torch.reshape(q.to(6) - 8.0, [count, s.size(1), -1])
                return torch.reshape(groups * torch.unsqueeze(s, 2), [count, -1])
            """;

    private final PtSymbolBlock module;
    private final boolean unpacksInt4;

    private Kernels(PtSymbolBlock module) {
        this.module = module;
        try (IValue probe = call("unpacks_int4")) {
            this.unpacksInt4 = probe.toBoolean();
        }
    }

    /** Compiles the module into {@code manager}, which frees it when it closes. */
    public static Kernels load(NDManager manager) {
        byte[] archive = TorchScriptArchive.of(SOURCE);
        try (ByteArrayInputStream in = new ByteArrayInputStream(archive)) {
            return new Kernels(JniUtils.loadModule((PtNDManager) manager, in, false, false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether int4 weights can be widened back to bf16 here: ATen's packed int4 layout depends on the CPU's vector
     * width, and {@code unpack_int4} reads the AVX-512 one, so it is checked once against ATen's own packing.
     */
    boolean unpacksInt4() {
        return unpacksInt4;
    }

    /** Runs one of the module's methods; the caller closes the result. */
    IValue call(String method, IValue... arguments) {
        return IValueUtils.runMethod(module, method, arguments);
    }

    /**
     * AWQ's packed {@code qweight} or {@code qzeros} [R, C/8] int32 unpacked to [R, C] int32 values 0..15, features in
     * their logical order; the result belongs to {@code packed}'s manager.
     */
    public NDArray unpackAwq(NDArray packed) {
        try (IValue in = IValue.from((PtNDArray) packed);
                IValue out = call("awq_unpack", in)) {
            return out.toTensor((PtNDManager) packed.getManager());
        }
    }

    /**
     * The blocks {@code ids} (int64 [M]) of a KV cache pool [K, blocks, P, D], copied: [K, M, P, D], owned by
     * {@code ids}' manager. ATen's {@code index_select} copies each block whole, where indexing the second dimension
     * through a DJL index copies it element by element, several times slower.
     */
    public NDArray gatherBlocks(NDArray pool, NDArray ids) {
        try (IValue from = IValue.from((PtNDArray) pool);
                IValue index = IValue.from((PtNDArray) ids);
                IValue result = call("gather_blocks", from, index)) {
            return result.toTensor((PtNDManager) ids.getManager());
        }
    }

    /** Whether the int4 kernel takes groups of {@code size} input features. */
    public static boolean isInt4GroupSize(int size) {
        for (int allowed : INT4_GROUP_SIZES) {
            if (allowed == size) {
                return true;
            }
        }
        return false;
    }
}
