#!/usr/bin/python3
"""Reference eager-PyTorch sampler for `rlft bench sampler`: same model, same work, timed the same way.

Reads a Hugging Face Llama folder as rlft writes it (config.json + model.safetensors, float32),
runs the forward of dev.rlft.model.LlamaModel (RMSNorm, rotate-half RoPE, grouped-query attention
by repeat, SwiGLU) in eager torch, and samples B sequences of N new tokens at temperature 1 with a
preallocated KV cache and with full recompute, timed as BenchCommand.SamplerSpeed times rlft.
Prints one JSON line on stdout; errors go to stderr with exit status 1 (2 for bad arguments).

This is a benchmark yardstick only: rlft never imports, ships or tests against it.
Needs only the standard library and torch (Debian's python3-torch: run it with /usr/bin/python3).
"""

import argparse
import json
import math
import os
import struct
import sys
import time

MASKED = -1e9  # LlamaModel.MASKED: finite additive bias, so a fully masked row gives no NaN
BOS = 1


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, metavar="DIR", help="Hugging Face Llama folder (config.json + safetensors)")
    p.add_argument("--batch", type=int, default=32, help="sequences per batch (default %(default)s)")
    p.add_argument("--prompt-tokens", type=int, default=64, help="prompt length, BOS included (default %(default)s)")
    p.add_argument("--new-tokens", type=int, default=64, help="tokens sampled per sequence (default %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each mode (default %(default)s)")
    p.add_argument("--warmup", type=int, default=1, help="untimed cached runs before timing (default %(default)s)")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads; 0 = one per core (default %(default)s)")
    p.add_argument("--mode", choices=["cache", "recompute", "both"], default="both", help="default %(default)s")
    p.add_argument("--seed", type=int, default=1, help="prompt and sampling seed (default %(default)s, rlft's seed)")
    p.add_argument("--check-logits", action="store_true",
                   help="print the first prompt and the logits of its last position, then exit (no timing)")
    p.add_argument("--greedy-check", metavar="REFERENCE_JSON",
                   help="check logits and greedy tokens against a stories260K-style reference.json, then exit")
    a = p.parse_args(argv)
    for name in ("batch", "prompt_tokens", "new_tokens", "repeats"):
        if getattr(a, name) < 1:
            p.error("--%s must be >= 1, got %d" % (name.replace("_", "-"), getattr(a, name)))
    if a.warmup < 0 or a.threads < 0:
        p.error("--warmup and --threads must be >= 0")
    return a


# --- prompts: java.util.SplittableRandom, so the prompts equal SamplerSpeed's for the same seed ---

_MASK64 = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15


class JavaSplittableRandom:
    """java.util.SplittableRandom(seed): nextInt() and nextInt(bound), bit for bit (JDK 8-21)."""

    def __init__(self, seed):
        self.seed = seed & _MASK64

    def _next_seed(self):
        self.seed = (self.seed + _GOLDEN_GAMMA) & _MASK64
        return self.seed

    @staticmethod
    def _mix32(z):
        z = ((z ^ (z >> 33)) * 0x62A9D9ED799705F5) & _MASK64
        z = ((z ^ (z >> 28)) * 0xCB24D0A5C88C35B3) & _MASK64
        r = z >> 32
        return r - (1 << 32) if r >= (1 << 31) else r  # Java int

    def next_int(self, bound=None):
        r = self._mix32(self._next_seed())
        if bound is None:
            return r
        if bound <= 0:
            raise ValueError("bound must be positive")
        m = bound - 1
        if bound & m == 0:
            return r & m
        u = (r & 0xFFFFFFFF) >> 1
        while True:
            r = u % bound
            if u + m - r < (1 << 31):  # Java: u + m - r >= 0 without int overflow
                return r
            u = (self._mix32(self._next_seed()) & 0xFFFFFFFF) >> 1


def bench_prompts(batch, length, vocab, seed):
    """SamplerSpeed's prompts: BOS, then ids uniform in [4, vocab), row by row from SplittableRandom(seed)."""
    if vocab <= 4:
        raise ValueError("vocab_size %d leaves no ids above the 4 reserved ones" % vocab)
    rng = JavaSplittableRandom(seed)
    return [[BOS] + [4 + rng.next_int(vocab - 4) for _ in range(length - 1)] for _ in range(batch)]


# --- model folder ---------------------------------------------------------------------------------

class ModelError(Exception):
    pass


def read_config(folder):
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        raise ModelError("%s: no config.json" % folder)
    with open(path) as f:
        c = json.load(f)
    kind = c.get("model_type", "")
    if kind not in ("llama", "qwen2"):
        raise ModelError("%s: unsupported model_type '%s' (supported: llama, qwen2)" % (path, kind))
    if c.get("rope_scaling") is not None:
        raise ModelError("%s: rope_scaling %r is not supported" % (path, c["rope_scaling"]))
    heads = int(c["num_attention_heads"])
    dim = int(c["hidden_size"])
    cfg = {
        "vocab": int(c["vocab_size"]),
        "dim": dim,
        "layers": int(c["num_hidden_layers"]),
        "heads": heads,
        "kv_heads": int(c.get("num_key_value_heads") or heads),
        "head_dim": int(c.get("head_dim") or dim // heads),
        "hidden": int(c["intermediate_size"]),
        "max_seq": int(c.get("max_position_embeddings", 2048)),
        "theta": float(c.get("rope_theta", 10000.0)),
        "eps": float(c.get("rms_norm_eps", 1e-6)),
        "tied": bool(c.get("tie_word_embeddings", False)),
    }
    if cfg["heads"] % cfg["kv_heads"] != 0:
        raise ModelError("%s: %d heads not divisible by %d kv heads" % (path, cfg["heads"], cfg["kv_heads"]))
    if cfg["head_dim"] % 2 != 0:
        raise ModelError("%s: head_dim %d is odd" % (path, cfg["head_dim"]))
    return cfg


def read_safetensors(path, torch):
    """All tensors of one .safetensors file as float32: u64 LE header size, JSON header, raw bytes."""
    dtypes = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}
    with open(path, "rb") as f:
        blob = bytearray(f.read())
    if len(blob) < 8:
        raise ModelError("%s: too short for a safetensors file" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ModelError("%s: header size %d exceeds the file" % (path, n))
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise ModelError("%s: tensor '%s' has dtype %s (supported: %s)"
                             % (path, name, info["dtype"], ", ".join(dtypes)))
        dtype, size = dtypes[info["dtype"]]
        shape = [int(d) for d in info["shape"]]
        begin, end = info["data_offsets"]
        count = math.prod(shape)
        if end - begin != count * size or base + end > len(blob):
            raise ModelError("%s: tensor '%s' bytes [%d, %d) do not hold shape %s"
                             % (path, name, begin, end, shape))
        t = torch.frombuffer(blob, dtype=dtype, count=count, offset=base + begin) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(shape).to(torch.float32)
    return out


def read_tensors(folder, torch):
    single = os.path.join(folder, "model.safetensors")
    if os.path.isfile(single):
        return read_safetensors(single, torch)
    index = os.path.join(folder, "model.safetensors.index.json")
    if not os.path.isfile(index):
        raise ModelError("%s: no model.safetensors or model.safetensors.index.json" % folder)
    with open(index) as f:
        weight_map = json.load(f).get("weight_map") or {}
    out = {}
    for shard in sorted(set(weight_map.values())):
        tensors = read_safetensors(os.path.join(folder, shard), torch)
        out.update({k: v for k, v in tensors.items() if weight_map.get(k) == shard})
    missing = sorted(set(weight_map) - set(out))
    if missing:
        raise ModelError("%s: tensors missing from their shards: %s" % (index, missing[:5]))
    return out


def expected_shapes(c):
    """Hugging Face LlamaForCausalLM names and shapes (LlamaModel.parameterShapes)."""
    q, kv = c["heads"] * c["head_dim"], c["kv_heads"] * c["head_dim"]
    s = {"model.embed_tokens.weight": [c["vocab"], c["dim"]], "model.norm.weight": [c["dim"]]}
    for l in range(c["layers"]):
        p = "model.layers.%d." % l
        s[p + "input_layernorm.weight"] = [c["dim"]]
        s[p + "self_attn.q_proj.weight"] = [q, c["dim"]]
        s[p + "self_attn.k_proj.weight"] = [kv, c["dim"]]
        s[p + "self_attn.v_proj.weight"] = [kv, c["dim"]]
        s[p + "self_attn.o_proj.weight"] = [c["dim"], q]
        s[p + "post_attention_layernorm.weight"] = [c["dim"]]
        s[p + "mlp.gate_proj.weight"] = [c["hidden"], c["dim"]]
        s[p + "mlp.up_proj.weight"] = [c["hidden"], c["dim"]]
        s[p + "mlp.down_proj.weight"] = [c["dim"], c["hidden"]]
    if not c["tied"]:
        s["lm_head.weight"] = [c["vocab"], c["dim"]]
    return s


def optional_shapes(c):
    """Qwen2's q/k/v biases; loaded when present."""
    q, kv = c["heads"] * c["head_dim"], c["kv_heads"] * c["head_dim"]
    s = {}
    for l in range(c["layers"]):
        p = "model.layers.%d.self_attn." % l
        s.update({p + "q_proj.bias": [q], p + "k_proj.bias": [kv], p + "v_proj.bias": [kv]})
    if c["tied"]:
        s["lm_head.weight"] = [c["vocab"], c["dim"]]  # ignored, as transformers does when tied
    return s


def load_weights(folder, c, torch):
    tensors = read_tensors(folder, torch)
    required, optional = expected_shapes(c), optional_shapes(c)
    for name, t in tensors.items():
        shape = required.get(name) or optional.get(name)
        if shape is None:
            raise ModelError("%s: unexpected tensor '%s' for this config" % (folder, name))
        if list(t.shape) != shape:
            raise ModelError("%s: tensor '%s' has shape %s, config.json implies %s"
                             % (folder, name, list(t.shape), shape))
    for name in required:
        if name not in tensors:
            raise ModelError("%s: missing tensor '%s'" % (folder, name))
    return tensors


# --- the model --------------------------------------------------------------------------------------

class Llama:
    """LlamaModel.forward in eager torch; a KV cache is two [L, B, Hkv, capacity, D] tensors written in place."""

    def __init__(self, c, w, torch):
        self.c, self.torch, self.F = c, torch, torch.nn.functional
        self.embed = w["model.embed_tokens.weight"]
        self.head = self.embed if c["tied"] else w["lm_head.weight"]
        self.norm = w["model.norm.weight"]
        self.layers = []
        for l in range(c["layers"]):
            p = "model.layers.%d." % l
            g = lambda n: w.get(p + n)
            self.layers.append((g("input_layernorm.weight"),
                                g("self_attn.q_proj.weight"), g("self_attn.q_proj.bias"),
                                g("self_attn.k_proj.weight"), g("self_attn.k_proj.bias"),
                                g("self_attn.v_proj.weight"), g("self_attn.v_proj.bias"),
                                g("self_attn.o_proj.weight"), g("post_attention_layernorm.weight"),
                                g("mlp.gate_proj.weight"), g("mlp.up_proj.weight"), g("mlp.down_proj.weight")))
        # rotary tables in float64, then float32, as LlamaModel builds them
        half = c["head_dim"] // 2
        inv = 1.0 / c["theta"] ** (torch.arange(half, dtype=torch.float64) * 2.0 / c["head_dim"])
        ang = torch.arange(c["max_seq"], dtype=torch.float64)[:, None] * inv[None, :]
        self.cos = ang.cos().to(torch.float32)  # [maxSeq, D/2]
        self.sin = ang.sin().to(torch.float32)

    def new_cache(self, batch, capacity):
        c = self.c
        if capacity > c["max_seq"]:
            raise ValueError("cache capacity %d exceeds max_position_embeddings %d" % (capacity, c["max_seq"]))
        shape = (c["layers"], batch, c["kv_heads"], capacity, c["head_dim"])
        return self.torch.zeros(shape), self.torch.zeros(shape)

    def _rms(self, x, w):
        return x * self.torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["eps"]) * w

    def _rope(self, x, cos, sin):
        """Rotate-half: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]."""
        half = self.c["head_dim"] // 2
        x1, x2 = x[..., :half], x[..., half:]
        return self.torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), -1)

    def forward(self, tokens, start, bias, cache=None):
        """tokens [B, T] at positions start..start+T-1; bias [1 or B, 1, T, S] additive or None; returns [B, T, V].

        With a cache, keys and values go to slots [start, start+T) and attention spans slots [0, start+T).
        """
        torch, F, c = self.torch, self.F, self.c
        b, t = tokens.shape
        hd, rep = c["head_dim"], c["heads"] // c["kv_heads"]
        x = F.embedding(tokens, self.embed)
        cos = self.cos[start:start + t][None, None]  # [1, 1, T, D/2]
        sin = self.sin[start:start + t][None, None]
        scale = 1.0 / math.sqrt(hd)
        for l, (n1, wq, bq, wk, bk, wv, bv, wo, n2, wg, wu, wd) in enumerate(self.layers):
            h = self._rms(x, n1)
            q = F.linear(h, wq, bq).view(b, t, c["heads"], hd).transpose(1, 2)
            k = F.linear(h, wk, bk).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            v = F.linear(h, wv, bv).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            q = self._rope(q, cos, sin)
            k = self._rope(k, cos, sin)
            if cache is not None:
                cache[0][l, :, :, start:start + t] = k
                cache[1][l, :, :, start:start + t] = v
                k = cache[0][l, :, :, :start + t]
                v = cache[1][l, :, :, :start + t]
            if rep > 1:
                k = k.repeat_interleave(rep, dim=1)
                v = v.repeat_interleave(rep, dim=1)
            scores = torch.matmul(q, k.transpose(2, 3)) * scale
            if bias is not None:
                scores = scores + bias
            attn = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, t, c["heads"] * hd)
            x = x + F.linear(attn, wo)
            h = self._rms(x, n2)
            x = x + F.linear(F.silu(F.linear(h, wg)) * F.linear(h, wu), wd)
        return F.linear(self._rms(x, self.norm), self.head)


def causal_bias(torch, t):
    """[1, 1, T, T]: 0 on and below the diagonal, MASKED above (LlamaModel.causalBias)."""
    return torch.full((t, t), MASKED).triu(1)[None, None]


# --- sampling, as dev.rlft.model.Sampler with equal-length prompts and no EOS ---------------------

def sample(torch, logits, temperature, gen):
    """One token per row from softmax(logits / T) (argmax at T = 0) and its log-probability."""
    if temperature == 0:
        tok = logits.argmax(-1, keepdim=True)
        logp = logits.log_softmax(-1)
    else:
        logp = (logits / temperature).log_softmax(-1)
        tok = torch.multinomial(logp.exp(), 1, generator=gen)
    return tok, logp.gather(-1, tok)


def generate(model, prompts, new_tokens, use_cache, temperature, gen):
    """Samples new_tokens per row; one prefill forward, then new_tokens - 1 decode (or recompute) forwards.

    Returns (tokens [B, N], logprobs [B, N]). Prefill is part of the work, as in rlft's benchmark.
    """
    torch = model.torch
    b, p = prompts.shape
    cache = model.new_cache(b, p + new_tokens) if use_cache else None
    out = torch.empty(b, new_tokens, dtype=torch.long)
    lps = torch.empty(b, new_tokens)
    last = model.forward(prompts, 0, causal_bias(torch, p), cache)[:, -1]
    for n in range(new_tokens):
        tok, lp = sample(torch, last, temperature, gen)
        out[:, n:n + 1] = tok
        lps[:, n:n + 1] = lp
        if n == new_tokens - 1:
            break
        if use_cache:
            last = model.forward(tok, p + n, None, cache)[:, -1]  # equal-length prompts: nothing to mask
        else:
            seq = torch.cat((prompts, out[:, :n + 1]), 1)
            last = model.forward(seq, 0, causal_bias(torch, seq.shape[1]), None)[:, -1]
    return out, lps


# --- modes ------------------------------------------------------------------------------------------

def loaded_blas():
    """Real paths of the BLAS libraries mapped into this process (the Debian build takes libblas.so.3)."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path).lower() or "mkl" in os.path.basename(path).lower():
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def run_benchmark(a, model, torch):
    c = model.c
    if a.prompt_tokens + a.new_tokens > c["max_seq"]:
        raise ValueError("prompt (%d) + new tokens (%d) exceeds max_position_embeddings %d"
                         % (a.prompt_tokens, a.new_tokens, c["max_seq"]))
    blas = loaded_blas()
    if any("/blas/libblas" in p for p in blas):
        print("torch_sampler: warning: torch runs on Netlib's reference BLAS (%s); install libopenblas0-openmp "
              "for a fair reference" % ", ".join(blas), file=sys.stderr)
    prompts = torch.tensor(bench_prompts(a.batch, a.prompt_tokens, c["vocab"], a.seed))
    gen = torch.Generator().manual_seed(a.seed)
    modes = {"cache": [True], "recompute": [False], "both": [True, False]}[a.mode]
    for _ in range(a.warmup):  # SamplerSpeed warms up with the cached path only, whatever it times
        generate(model, prompts, a.new_tokens, True, 1.0, gen)
    seconds = {m: 0.0 for m in modes}
    runs = []
    for r in range(a.repeats):
        for use_cache in modes:  # interleaved, as SamplerSpeed does
            t0 = time.perf_counter()
            generate(model, prompts, a.new_tokens, use_cache, 1.0, gen)
            dt = time.perf_counter() - t0
            seconds[use_cache] += dt
            runs.append({"mode": "cache" if use_cache else "recompute", "repeat": r + 1, "seconds": round(dt, 6),
                         "tokens_per_s": round(a.batch * a.new_tokens / dt, 3)})
    tokens = a.batch * a.new_tokens * a.repeats
    rate = lambda m: round(tokens / seconds[m], 3) if m in seconds else None
    params = sum(t.numel() for t in model_tensors(model))
    return {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas,
        "model_parameters": params,
        "batch": a.batch, "prompt_tokens": a.prompt_tokens, "new_tokens": a.new_tokens,
        "repeats": a.repeats, "warmup": a.warmup, "seed": a.seed,
        "cache_tokens_per_s": rate(True),
        "recompute_tokens_per_s": rate(False),
        "runs": runs,
    }


def model_tensors(model):
    seen = {}
    for t in [model.embed, model.head, model.norm] + [x for layer in model.layers for x in layer if x is not None]:
        seen[id(t)] = t
    return list(seen.values())


def check_logits(a, model, torch):
    """Prefill of the benchmark's batch; the first prompt and the logits of its last position."""
    prompts = bench_prompts(a.batch, a.prompt_tokens, model.c["vocab"], a.seed)
    x = torch.tensor(prompts)
    logits = model.forward(x, 0, causal_bias(torch, x.shape[1]), None)[0, -1]
    return {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "seed": a.seed,
            "prompt": prompts[0], "logits": [float(v) for v in logits]}


def greedy_check(path, model, torch, tol=1e-4):
    """stories260K reference.json: per-position logits through the cache, greedy tokens through both paths."""
    with open(path) as f:
        ref = json.load(f)
    prompt = ref["prompt"]["tokens"]
    res = {"torch_version": torch.__version__, "tolerance": tol}
    # one token at a time through the cache, as the reference was computed
    cache = model.new_cache(1, len(prompt))
    worst = 0.0
    for row in ref["forward_reference"]["per_position"]:
        pos = int(row["pos"])
        logits = model.forward(torch.tensor([[prompt[pos]]]), pos, None, cache)[0, -1].double()
        want = torch.tensor(row["logits_first5_f64"], dtype=torch.float64)
        worst = max(worst, (logits[:5] - want).abs().max().item(),
                    abs(logits.max().item() - float(row["max_logit_f64"])),
                    abs(logits.sum().item() - float(row["logits_sum_f64"])) / len(logits))
        if int(logits.argmax()) != int(row["argmax"]):
            res.setdefault("argmax_mismatch", []).append(pos)
    last_step = logits
    full = torch.tensor(ref["forward_reference"]["last_position_logits_f64"], dtype=torch.float64)
    res["cache_stepwise_max_abs_diff"] = max(worst, (last_step - full).abs().max().item())
    # whole prompt in one forward (prefill path) against all logits at the last position
    x = torch.tensor([prompt])
    pre = model.forward(x, 0, causal_bias(torch, len(prompt)), None)[0, -1].double()
    res["prefill_max_abs_diff"] = (pre - full).abs().max().item()
    # greedy continuations through generate(), cache and recompute
    want = ref["greedy_after_prompt"]["tokens"]
    for use_cache in (True, False):
        toks, _ = generate(model, x, len(want), use_cache, 0.0, None)
        res["greedy_after_prompt_" + ("cache" if use_cache else "recompute")] = toks[0].tolist() == want
    golden = ref["golden_from_bos_256"]["tokens"]
    for use_cache in (True, False):
        toks, _ = generate(model, torch.tensor([[BOS]]), len(golden), use_cache, 0.0, None)
        res["golden_from_bos_256_" + ("cache" if use_cache else "recompute")] = toks[0].tolist() == golden
    res["ok"] = (res["cache_stepwise_max_abs_diff"] <= tol and res["prefill_max_abs_diff"] <= tol
                 and "argmax_mismatch" not in res
                 and all(v for k, v in res.items() if k.startswith(("greedy_", "golden_"))))
    return res


def main(argv):
    a = parse_args(argv)
    threads = a.threads or os.cpu_count() or 1
    # before torch loads: an OpenMP or OpenBLAS/MKL pool sizes itself once, from these
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        import torch
    except ImportError as e:
        print("torch_sampler: cannot import torch (%s); install Debian's python3-torch and run /usr/bin/python3"
              % e, file=sys.stderr)
        return 1
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            c = read_config(a.model)
            model = Llama(c, load_weights(a.model, c, torch), torch)
            if a.greedy_check:
                result = greedy_check(a.greedy_check, model, torch)
            elif a.check_logits:
                result = check_logits(a, model, torch)
            else:
                result = run_benchmark(a, model, torch)
    except (ModelError, ValueError, KeyError, OSError) as e:
        print("torch_sampler: %s" % (e if not isinstance(e, KeyError) else "missing key %s" % e), file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
