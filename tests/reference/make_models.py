"""Reference outputs for the compiled models (tests/Liquid.Models.Tests/ModelReferenceTests.cs).

Two small decoders are written here in plain PyTorch, from their published
definitions rather than from Liquid's C#:

  TinyGpt    GPT-2 style: token + learned position embeddings, pre-LayerNorm
             blocks (causal multi-head attention, exact-GELU MLP), final
             LayerNorm, head tied to the token embedding.
  TinyLlama  Llama style: RMSNorm (eps 1e-6), grouped-query attention with
             rotary embeddings (rotate-half), SwiGLU MLP, untied head, no
             biases.

Both use the state-dict keys of the generated C# models (models/*.model.yaml
`name:` fields), so the C# side loads the weights with a strict
LoadStateDict. The config is the YAML's default with smaller sizes (so the
data file stays small); the overrides are stored in the file's metadata
("<model>.config", `name=value` pairs separated by commas) and the C# test
builds its model from exactly those overrides.

For each model and each of float64 and float32 the file holds, under the
prefix "<model>.<f64|f32>.":
  weight.<key>   the random weights (drawn in float64; the float32 set is the
                 same values rounded)
  logits         model(tokens), [B, T, vocab]
  loss           mean cross-entropy of logits against targets (ignore -100)
  grad.<key>     d loss / d weight for every parameter
and, shared by both dtypes, "<model>.tokens" and "<model>.targets" (int64,
[B, T]; one target is -100 to exercise ignore_index).

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_models.py
The output is deterministic: the script writes the file twice and checks the
bytes are equal.
"""

import hashlib
import math
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "models.safetensors")
BATCH, STEPS = 2, 16
SEED = 20250117

# Defaults of models/tiny-gpt.model.yaml and models/tiny-llama.model.yaml with smaller sizes.
TINY_GPT = {"vocab_size": 64, "context": 32, "d_model": 32, "layers": 2, "heads": 4}
TINY_LLAMA = {"vocab_size": 64, "context": 32, "d_model": 32, "layers": 2, "heads": 4, "kv_heads": 2,
              "hidden": 88, "rope_theta": 10000.0}


# ----------------------------------------------------------------------------------------------
# TinyGpt (GPT-2)
# ----------------------------------------------------------------------------------------------

class GptAttention(nn.Module):
    """Causal multi-head self-attention; qkv is one projection to [q | k | v]."""

    def __init__(self, d_model, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(x).split(c, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d).transpose(1, 2) for z in (q, k, v))  # [B, H, T, D]
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, t, c)
        return self.proj(out)


class GptMlp(nn.Module):
    def __init__(self, d_model, hidden):
        super().__init__()
        self.fc = nn.Linear(d_model, hidden)
        self.proj = nn.Linear(hidden, d_model)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))  # exact (erf) GELU: the YAML says `gelu`, not `gelu_tanh`


class GptBlock(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, eps=1e-5)
        self.attn = GptAttention(d_model, heads)
        self.ln_2 = nn.LayerNorm(d_model, eps=1e-5)
        self.mlp = GptMlp(d_model, 4 * d_model)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyGpt(nn.Module):
    def __init__(self, vocab_size, context, d_model, layers, heads):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = nn.Embedding(context, d_model)
        self.h = nn.ModuleList(GptBlock(d_model, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model, eps=1e-5)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1])
        x = self.wte(tokens) + self.wpe(positions)
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # tied head: no weight of its own


# ----------------------------------------------------------------------------------------------
# TinyLlama
# ----------------------------------------------------------------------------------------------

class RmsNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope(x, theta):
    """Rotary embedding over the whole head (RoFormer, rotate-half layout as in HF Llama); x is [B, H, T, D]."""
    t, d = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
    angles = torch.cat((angles, angles), dim=-1)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    return x * cos + rotate_half(x) * sin


class LlamaAttention(nn.Module):
    """Causal grouped-query attention: query head h reads key/value head h // (heads / kv_heads)."""

    def __init__(self, d_model, heads, kv_heads, theta):
        super().__init__()
        self.heads, self.kv_heads, self.theta = heads, kv_heads, theta
        self.head_dim = d_model // heads
        self.qkv = nn.Linear(d_model, (heads + 2 * kv_heads) * self.head_dim, bias=False)
        self.proj = nn.Linear(heads * self.head_dim, d_model, bias=False)

    def forward(self, x):
        b, t, _ = x.shape
        d = self.head_dim
        q, k, v = self.qkv(x).split([self.heads * d, self.kv_heads * d, self.kv_heads * d], dim=-1)
        q = q.view(b, t, self.heads, d).transpose(1, 2)
        k = k.view(b, t, self.kv_heads, d).transpose(1, 2)
        v = v.view(b, t, self.kv_heads, d).transpose(1, 2)
        q, k = rope(q, self.theta), rope(k, self.theta)
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)  # [B, H, T, D]
        v = v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, t, self.heads * d)
        return self.proj(out)


class SwiGlu(nn.Module):
    def __init__(self, d_model, hidden):
        super().__init__()
        self.gate = nn.Linear(d_model, hidden, bias=False)
        self.up = nn.Linear(d_model, hidden, bias=False)
        self.proj = nn.Linear(hidden, d_model, bias=False)

    def forward(self, x):
        return self.proj(F.silu(self.gate(x)) * self.up(x))


class LlamaBlock(nn.Module):
    def __init__(self, d_model, heads, kv_heads, hidden, theta):
        super().__init__()
        self.input_norm = RmsNorm(d_model)
        self.self_attn = LlamaAttention(d_model, heads, kv_heads, theta)
        self.post_attention_norm = RmsNorm(d_model)
        self.mlp = SwiGlu(d_model, hidden)

    def forward(self, x):
        x = x + self.self_attn(self.input_norm(x))
        return x + self.mlp(self.post_attention_norm(x))


class TinyLlama(nn.Module):
    def __init__(self, vocab_size, context, d_model, layers, heads, kv_heads, hidden, rope_theta):
        super().__init__()
        del context  # RoPE has no table to size
        self.embed_tokens = nn.Embedding(vocab_size, d_model)
        self.layers = nn.ModuleList(LlamaBlock(d_model, heads, kv_heads, hidden, rope_theta) for _ in range(layers))
        self.norm = RmsNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)

    def forward(self, tokens):
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))


# ----------------------------------------------------------------------------------------------
# Weights, data, outputs
# ----------------------------------------------------------------------------------------------

def randomize(model, generator):
    """Random float64 weights, not the init: every value matters and every gradient is nonzero."""
    weights = {}
    for name, parameter in model.named_parameters():
        shape = parameter.shape
        noise = torch.randn(shape, generator=generator, dtype=torch.float64)
        if name.endswith("norm.weight") or ".ln_" in name or name.startswith("ln_") or name.startswith("norm"):
            value = 1.0 + 0.2 * noise if name.endswith("weight") else 0.1 * noise  # norm gain / shift
        elif name.endswith("bias"):
            value = 0.1 * noise
        elif name in ("wte.weight", "embed_tokens.weight"):
            value = 0.5 * noise
        elif name == "wpe.weight":
            value = 0.2 * noise
        else:  # a Linear weight [out, in]
            value = noise / math.sqrt(shape[1])
        weights[name] = value
    return weights


def run(model, weights, tokens, targets, dtype):
    """Loads `weights` in `dtype`, returns (logits, loss, grads) computed by `model`."""
    model = model.to(dtype)
    model.load_state_dict({name: value.to(dtype) for name, value in weights.items()}, strict=True)
    model.zero_grad(set_to_none=True)
    logits = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    grads = {name: parameter.grad.detach().clone() for name, parameter in model.named_parameters()}
    assert set(grads) == set(weights), "every parameter must have a gradient"
    return logits.detach(), loss.detach(), grads


def config_text(config):
    return ",".join(f"{name}={value!r}" if isinstance(value, float) else f"{name}={value}" for name, value in config.items())


def make(prefix, model_class, config, generator, tensors, metadata):
    model = model_class(**config)
    weights = randomize(model, generator)
    vocab = config["vocab_size"]
    tokens = torch.randint(0, vocab, (BATCH, STEPS), generator=generator, dtype=torch.int64)
    targets = torch.randint(0, vocab, (BATCH, STEPS), generator=generator, dtype=torch.int64)
    targets[1, STEPS - 1] = -100  # ignored position: the mean runs over the other B·T − 1 targets
    tensors[f"{prefix}.tokens"] = tokens
    tensors[f"{prefix}.targets"] = targets
    metadata[f"{prefix}.config"] = config_text(config)
    for suffix, dtype in (("f64", torch.float64), ("f32", torch.float32)):
        logits, loss, grads = run(model, weights, tokens, targets, dtype)
        for name, value in weights.items():
            tensors[f"{prefix}.{suffix}.weight.{name}"] = value.to(dtype)
            tensors[f"{prefix}.{suffix}.grad.{name}"] = grads[name]
        tensors[f"{prefix}.{suffix}.logits"] = logits
        tensors[f"{prefix}.{suffix}.loss"] = loss


def build():
    torch.set_num_threads(1)  # one summation order, so the bytes do not depend on the machine's cores
    torch.manual_seed(SEED)  # nn.Module constructors draw their init from the global generator
    generator = torch.Generator().manual_seed(SEED)
    tensors = {}
    metadata = {"producer": "tests/reference/make_models.py", "torch": torch.__version__,
                "batch": str(BATCH), "steps": str(STEPS)}
    make("tiny_gpt", TinyGpt, TINY_GPT, generator, tensors, metadata)
    make("tiny_llama", TinyLlama, TINY_LLAMA, generator, tensors, metadata)
    return tensors, metadata


def check_attention_against_torch():
    """GptAttention equals torch.nn.MultiheadAttention with the same weights and a causal mask."""
    generator = torch.Generator().manual_seed(7)
    mine = GptAttention(32, 4).double()
    theirs = nn.MultiheadAttention(32, 4, batch_first=True).double()
    with torch.no_grad():
        for parameter in mine.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64) * 0.3)
        theirs.in_proj_weight.copy_(mine.qkv.weight)
        theirs.in_proj_bias.copy_(mine.qkv.bias)
        theirs.out_proj.weight.copy_(mine.proj.weight)
        theirs.out_proj.bias.copy_(mine.proj.bias)
    x = torch.randn(2, 5, 32, generator=generator, dtype=torch.float64)
    future = torch.ones(5, 5, dtype=torch.bool).triu(1)
    expected, _ = theirs(x, x, x, attn_mask=future, need_weights=False)
    assert torch.allclose(mine(x), expected, rtol=1e-12, atol=1e-12), "GptAttention differs from nn.MultiheadAttention"


def self_check(tensors):
    """The float64 and float32 runs agree to float32 accuracy (catches a dtype slip in this script)."""
    check_attention_against_torch()
    for prefix in ("tiny_gpt", "tiny_llama"):
        a, b = tensors[f"{prefix}.f64.logits"], tensors[f"{prefix}.f32.logits"].double()
        error = (a - b).abs().max() / a.abs().max()
        assert error < 1e-5, f"{prefix}: float32 logits differ from float64 by {error:.2e} (relative)"


def sha256(path):
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    tensors, metadata = build()
    self_check(tensors)
    safetensors_io.save(OUTPUT, tensors, metadata)
    with tempfile.TemporaryDirectory() as scratch:
        again = os.path.join(scratch, "again.safetensors")
        safetensors_io.save(again, *build())
        assert sha256(again) == sha256(OUTPUT), "two runs gave different bytes"
    print(f"wrote {OUTPUT} ({os.path.getsize(OUTPUT)} bytes, sha256 {sha256(OUTPUT)})")


if __name__ == "__main__":
    main()
