#!/usr/bin/env python3
"""Writes a randomly initialised float32 Qwen2ForCausalLM checkpoint with the language model shapes of
InternVL2.5-1B (Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads, 2 kv heads, vocab 151,674, untied lm_head) in
Hugging Face's layout, with numpy alone: config.json, generation_config.json, model.safetensors, and the Qwen
tokenizer files given on the command line. Both engines of the comparison read this one directory.

usage: write_qwen2.py OUT_DIR TOKENIZER_DIR
"""
import json
import os
import shutil
import sys

import numpy as np

HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB = 896, 24, 14, 2, 4864, 151674
HEAD_DIM = HIDDEN // HEADS


def tensors():
    kv = KV_HEADS * HEAD_DIM
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN), "normal"
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (HIDDEN,), "ones"
        yield p + "self_attn.q_proj.weight", (HIDDEN, HIDDEN), "normal"
        yield p + "self_attn.q_proj.bias", (HIDDEN,), "normal"
        yield p + "self_attn.k_proj.weight", (kv, HIDDEN), "normal"
        yield p + "self_attn.k_proj.bias", (kv,), "normal"
        yield p + "self_attn.v_proj.weight", (kv, HIDDEN), "normal"
        yield p + "self_attn.v_proj.bias", (kv,), "normal"
        yield p + "self_attn.o_proj.weight", (HIDDEN, HIDDEN), "normal"
        yield p + "post_attention_layernorm.weight", (HIDDEN,), "ones"
        yield p + "mlp.gate_proj.weight", (INTERMEDIATE, HIDDEN), "normal"
        yield p + "mlp.up_proj.weight", (INTERMEDIATE, HIDDEN), "normal"
        yield p + "mlp.down_proj.weight", (HIDDEN, INTERMEDIATE), "normal"
    yield "model.norm.weight", (HIDDEN,), "ones"
    yield "lm_head.weight", (VOCAB, HIDDEN), "normal"


def main(out, tokenizer):
    os.makedirs(out, exist_ok=True)
    header, offset = {}, 0
    for name, shape, _ in tensors():
        size = int(np.prod(shape)) * 4
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    rng = np.random.default_rng(1)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(len(encoded).to_bytes(8, "little"))
        f.write(encoded)
        for _, shape, kind in tensors():
            values = np.ones(shape, np.float32) if kind == "ones" else rng.standard_normal(shape, np.float32) * 0.02
            f.write(values.tobytes())
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": HIDDEN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
              "intermediate_size": INTERMEDIATE, "vocab_size": VOCAB, "max_position_embeddings": 32768,
              "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": False,
              "torch_dtype": "float32", "bos_token_id": 151643, "eos_token_id": 151645, "sliding_window": 32768,
              "max_window_layers": 21, "use_sliding_window": False}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 151643, "eos_token_id": 151645}, f)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer, name), os.path.join(out, name))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
