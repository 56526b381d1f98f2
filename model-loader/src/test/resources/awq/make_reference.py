"""Writes the AWQ reference fixture next to this script, with numpy only (no torch, no AutoAWQ).

A tiny attention block's q/k/v projections (256 input features, groups of 64) with random 4-bit values, zero
points and fp16 scales, packed the way AutoAWQ's GEMM layout stores them:

  model.safetensors  <m>.qweight int32 [in, out/8], <m>.qzeros int32 [in/64, out/8], <m>.scales fp16 [in/64, out]
                     (the safetensors format written by hand: 8-byte little-endian header length, JSON, bytes)
  reference.npz      <m>.weight float32 [out, in], the dequantised weight w[o, i] = (q[i, o] - z[i/64, o]) * s;
                     <m>.q uint8 [out * in] and <m>.z uint8 [in/64 * out], the unpacked values, flattened

Packing: int32 column c of a packed tensor holds output features 8c..8c+7, feature 8c + ORDER[n] in nibble n
(bits 4n..4n+3), with AutoAWQ's ORDER = [0, 2, 4, 6, 1, 3, 5, 7]. Run: python3 make_reference.py
"""
import json
import os
import struct

import numpy as np

ORDER = [0, 2, 4, 6, 1, 3, 5, 7]
IN_FEATURES = 256
GROUP = 64
MODULES = {"q_proj": 64, "k_proj": 32, "v_proj": 24}  # 120 fused rows: not a multiple of 16, the kernel pads


def pack(values):
    """[rows, cols] ints 0..15 -> [rows, cols/8] int32 in AWQ's nibble order."""
    rows, cols = values.shape
    packed = np.zeros((rows, cols // 8), dtype=np.uint32)
    for column in range(cols // 8):
        for nibble in range(8):
            feature = values[:, column * 8 + ORDER[nibble]].astype(np.uint32)
            packed[:, column] |= feature << np.uint32(4 * nibble)
    return packed.view(np.int32)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        dtype = {np.dtype(np.int32): "I32", np.dtype(np.float16): "F16"}[array.dtype]
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(20240611)
    groups = IN_FEATURES // GROUP
    tensors, reference = {}, {}
    for module, out in MODULES.items():
        q = rng.integers(0, 16, size=(IN_FEATURES, out))
        z = rng.integers(0, 16, size=(groups, out))
        # fp16 scales with all 11 significant bits in use, so rounding them to bf16 is exercised.
        s = rng.uniform(0.002, 0.03, size=(groups, out)).astype(np.float16)
        group_of_input = np.arange(IN_FEATURES) // GROUP
        w = (q - z[group_of_input, :]) * s.astype(np.float64)[group_of_input, :]  # [in, out]
        name = "model.layers.0.self_attn." + module
        tensors[name + ".qweight"] = pack(q)
        tensors[name + ".qzeros"] = pack(z)
        tensors[name + ".scales"] = s
        reference[name + ".weight"] = np.ascontiguousarray(w.T, dtype=np.float32)
        reference[name + ".q"] = q.T.astype(np.uint8).reshape(-1)
        reference[name + ".z"] = z.astype(np.uint8).reshape(-1)
    write_safetensors(os.path.join(here, "model.safetensors"), tensors)
    np.savez(os.path.join(here, "reference.npz"), **reference)


if __name__ == "__main__":
    main()
