#!/usr/bin/python3
"""Writes a random-weight Llama folder in the format rlft's HuggingFaceFolder.save writes.

config.json with the same keys, model.safetensors in float32 with transformers' tensor names,
weights drawn as LlamaModel.initialize draws them (N(0, 0.02), residual outputs scaled by
1/sqrt(2L), unit norms; different random numbers). For trying torch_sampler.py on sizes without
the Java side; the Java benchmark writes its own folder.
"""

import argparse
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_sampler import expected_shapes  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=0, help="0 = --heads")
    p.add_argument("--hidden", type=int, default=344)
    p.add_argument("--vocab", type=int, default=100)
    p.add_argument("--max-seq-len", type=int, default=192)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--norm-eps", type=float, default=1e-5)
    p.add_argument("--untied", action="store_true", help="separate lm_head.weight (default: tied, as rlft.model)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if sys.byteorder != "little":
        p.error("writes little-endian float32 by copying memory; this host is big-endian")
    kv = a.kv_heads or a.heads
    if a.dim % a.heads or a.heads % kv:
        p.error("dim must divide by heads and heads by kv-heads")
    c = {"vocab": a.vocab, "dim": a.dim, "layers": a.layers, "heads": a.heads, "kv_heads": kv,
         "head_dim": a.dim // a.heads, "hidden": a.hidden, "tied": not a.untied}
    gen = torch.Generator().manual_seed(a.seed)
    residual_std = 0.02 / math.sqrt(2.0 * a.layers)
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, shape in expected_shapes(c).items():
        if name.endswith("norm.weight"):
            t = torch.ones(shape)
        else:
            std = residual_std if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
            t = torch.randn(shape, generator=gen) * std
        data = bytearray(4 * t.numel())
        if data:
            torch.frombuffer(data, dtype=torch.float32).copy_(t.reshape(-1))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": a.vocab, "hidden_size": a.dim, "intermediate_size": a.hidden,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "num_key_value_heads": kv,
        "head_dim": a.dim // a.heads, "hidden_act": "silu", "max_position_embeddings": a.max_seq_len,
        "rms_norm_eps": a.norm_eps, "rope_theta": a.rope_theta, "tie_word_embeddings": not a.untied,
        "attention_bias": False, "mlp_bias": False, "torch_dtype": "float32",
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print("%s: %d tensors, %d parameters" % (a.out, len(blobs), offset // 4))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
