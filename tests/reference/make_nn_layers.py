"""Write the nn-layer reference data that tests/Liquid.Runtime.Tests/Nn/LayerReferenceTests.cs reads.

Output: tests/reference/data/nn_layers.safetensors, one file for every case.
For a case named NAME the file holds

  NAME.param.P          every parameter, under the layer's state-dict key P
                        (e.g. attention_gqa_rope.param.qkv.weight);
  NAME.input            the input (int64 ids for the embedding);
  NAME.input.h0/.c0     the initial state of a recurrent layer;
  NAME.output           the output;
  NAME.output.h/.c      the final state of a recurrent layer;
  NAME.projection[.h/.c]  a fixed random W per output; the scalar loss is
                        L = sum over outputs of sum(output * W);
  NAME.grad.input[.h0/.c0]  dL/d(input) (not for integer inputs);
  NAME.grad.param.P     dL/dP for every parameter.

The safetensors __metadata__ maps each case name to a JSON object
{"kind": ..., "dtype": "float64" | "float32", "options": {...}} from which
the C# test builds the same layer; "format" names this layout.

Every reference is written from PyTorch building blocks (torch.nn.Linear,
Embedding, Conv1d, LSTM/GRU/RNN, functional ops), not from our runtime:
RMSNorm from its definition, the MLPs by hand, and attention from plain
tensor ops (repeat_interleave of K/V heads, explicit boolean masks, RoPE with
per-pair angles), so a shared misconception cannot hide in both.

Each case is seeded from its own name, so adding a case leaves the others'
bytes unchanged; running the script twice gives byte-identical output.

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_nn_layers.py
"""

import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "nn_layers.safetensors")
FORMAT = "liquid-nn-reference-v1"

DTYPES = {"float64": torch.float64, "float32": torch.float32}


# ---------------------------------------------------------------------------
# Reference modules written independently of the runtime
# ---------------------------------------------------------------------------


class RmsNormRef(nn.Module):
    """x / sqrt(mean(x^2) + eps) * w over the last dimension."""

    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + self.eps) * self.weight


class LayerNormRef(nn.Module):
    """torch 1.13's nn.LayerNorm has no bias=False switch, so the parameters are held here."""

    def __init__(self, dim, eps, affine, bias):
        super().__init__()
        self.dim, self.eps = dim, eps
        self.weight = nn.Parameter(torch.ones(dim)) if affine else None
        self.bias = nn.Parameter(torch.zeros(dim)) if affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, (self.dim,), self.weight, self.bias, self.eps)


class CausalConv1dRef(nn.Module):
    """Left-pads (k - 1) * dilation zeros, then an unpadded nn.Conv1d (registered as `conv`)."""

    def __init__(self, **options):
        super().__init__()
        self.left = (options["kernel_size"] - 1) * options["dilation"]
        self.conv = nn.Conv1d(padding=0, **options)

    def forward(self, x):
        return self.conv(F.pad(x, (self.left, 0)))


class MlpRef(nn.Module):
    def __init__(self, dim, hidden, activation, bias, tanh_gelu):
        super().__init__()
        self.activation, self.approximate = activation, "tanh" if tanh_gelu else "none"
        if activation in ("swiglu", "geglu"):
            self.gate = nn.Linear(dim, hidden, bias=bias)
            self.up = nn.Linear(dim, hidden, bias=bias)
        else:
            self.fc = nn.Linear(dim, hidden, bias=bias)
        self.proj = nn.Linear(hidden, dim, bias=bias)

    def forward(self, x):
        if self.activation == "swiglu":
            hidden = F.silu(self.gate(x)) * self.up(x)
        elif self.activation == "geglu":
            hidden = F.gelu(self.gate(x), approximate=self.approximate) * self.up(x)
        elif self.activation == "gelu":
            hidden = F.gelu(self.fc(x), approximate=self.approximate)
        elif self.activation == "relu":
            hidden = torch.relu(self.fc(x))
        elif self.activation == "silu":
            hidden = F.silu(self.fc(x))
        else:
            raise ValueError(self.activation)
        return self.proj(hidden)


def rope_reference(x, theta, fraction):
    """Rotate-half RoPE on the first R = fraction * D dims of x [B, H, T, D], positions 0 .. T-1.

    Pair i couples x[..., i] and x[..., i + R/2] and turns by angle p * theta^(-2i/R):
    (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin), which is x cos + rotate_half(x) sin with
    rotate_half(x) = cat(-x2, x1). Angles are computed in float64.
    """
    steps, width = x.shape[-2], x.shape[-1]
    rotary = int(round(width * fraction))
    half = rotary // 2
    pairs = torch.arange(half, dtype=torch.float64)
    frequencies = torch.pow(torch.tensor(theta, dtype=torch.float64), -2.0 * pairs / rotary)
    angles = torch.arange(steps, dtype=torch.float64)[:, None] * frequencies[None, :]  # [T, R/2]
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x1, x2, rest = x[..., :half], x[..., half:rotary], x[..., rotary:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


class AttentionRef(nn.Module):
    """Self-attention from plain ops: Linear to [q | k | v], K/V heads repeated, explicit masks."""

    def __init__(self, dim, heads, kv_heads, causal, window, rope, bias):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.causal, self.window, self.rope = causal, window, rope
        self.qkv = nn.Linear(dim, (heads + 2 * kv_heads) * self.head_dim, bias=bias)
        self.proj = nn.Linear(heads * self.head_dim, dim, bias=bias)

    def forward(self, x):
        batch, steps, _ = x.shape
        d, h, kvh = self.head_dim, self.heads, self.kv_heads
        q, k, v = self.qkv(x).split([h * d, kvh * d, kvh * d], dim=-1)
        q = q.reshape(batch, steps, h, d).transpose(1, 2)
        k = k.reshape(batch, steps, kvh, d).transpose(1, 2)
        v = v.reshape(batch, steps, kvh, d).transpose(1, 2)
        if self.rope is not None:
            q = rope_reference(q, self.rope["theta"], self.rope["fraction"])
            k = rope_reference(k, self.rope["theta"], self.rope["fraction"])
        # Query head j uses key/value head j // (heads / kv_heads).
        k = k.repeat_interleave(h // kvh, dim=1)
        v = v.repeat_interleave(h // kvh, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        i = torch.arange(steps)[:, None]
        j = torch.arange(steps)[None, :]
        allowed = torch.ones(steps, steps, dtype=torch.bool)
        if self.causal:
            allowed = allowed & (j <= i)
        if self.window is not None:
            allowed = allowed & (j > i - self.window)
        scores = scores.masked_fill(~allowed, float("-inf"))
        context = torch.softmax(scores, dim=-1) @ v  # [B, H, T, D]
        return self.proj(context.transpose(1, 2).reshape(batch, steps, h * d))


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name, kind, options, dtype="float64"):
    def register(build):
        CASES.append((name, kind, options, dtype, build))
        return build

    return register


def randn(*shape, scale=1.0):
    return torch.randn(*shape, dtype=torch.float64) * scale


def perturb_parameters(module, scale):
    """Replaces every parameter by N(0, scale^2): norms start at 1/0 otherwise."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(randn(*parameter.shape, scale=scale))


def plain(module, input_shape):
    """A module called as module(x) on a float input of `input_shape`."""

    def run(inputs):
        return {"": module(inputs[""])}

    return module, {"": randn(*input_shape)}, run


@case("linear_bias", "linear", {"in_features": 6, "out_features": 5, "bias": True})
def _():
    return plain(nn.Linear(6, 5, bias=True), (2, 3, 6))


@case("linear_nobias", "linear", {"in_features": 6, "out_features": 4, "bias": False})
def _():
    return plain(nn.Linear(6, 4, bias=False), (7, 6))


@case("linear_f32", "linear", {"in_features": 16, "out_features": 12, "bias": True}, dtype="float32")
def _():
    return plain(nn.Linear(16, 12, bias=True), (3, 5, 16))


@case("embedding", "embedding", {"count": 11, "dim": 5})
def _():
    module = nn.Embedding(11, 5)
    ids = torch.tensor([[3, 0, 10, 3], [7, 3, 1, 10]], dtype=torch.int64)  # repeats accumulate

    def run(inputs):
        return {"": module(inputs[""])}

    return module, {"": ids}, run


@case("layernorm", "layernorm", {"dim": 8, "eps": 1e-5, "affine": True, "bias": True})
def _():
    module = LayerNormRef(8, 1e-5, affine=True, bias=True)
    perturb_parameters(module, 1.0)
    return plain(module, (2, 3, 8))


@case("layernorm_nobias", "layernorm", {"dim": 8, "eps": 1e-3, "affine": True, "bias": False})
def _():
    module = LayerNormRef(8, 1e-3, affine=True, bias=False)
    perturb_parameters(module, 1.0)
    return plain(module, (4, 8))


@case("layernorm_noaffine", "layernorm", {"dim": 6, "eps": 1e-5, "affine": False, "bias": True})
def _():
    return plain(LayerNormRef(6, 1e-5, affine=False, bias=True), (2, 5, 6))


@case("rmsnorm", "rmsnorm", {"dim": 8, "eps": 1e-6})
def _():
    module = RmsNormRef(8, 1e-6)
    perturb_parameters(module, 1.0)
    return plain(module, (2, 3, 8))


@case("rmsnorm_eps", "rmsnorm", {"dim": 5, "eps": 0.5})
def _():
    module = RmsNormRef(5, 0.5)  # a large eps, so forgetting it shows
    perturb_parameters(module, 1.0)
    return plain(module, (3, 5))


CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "causal": False}


def conv_case(name, **options):
    options = {**CONV_DEFAULTS, **options}

    @case(name, "conv1d", options)
    def _():
        torch_options = {
            "in_channels": options["in_channels"],
            "out_channels": options["out_channels"],
            "kernel_size": options["kernel"],
            "stride": options["stride"],
            "dilation": options["dilation"],
            "groups": options["groups"],
            "bias": options["bias"],
        }
        if options["causal"]:
            wrapper = CausalConv1dRef(**torch_options)
            module = wrapper.conv  # its parameters are the layer's weight and bias
            run_module = wrapper
        else:
            module = run_module = nn.Conv1d(padding=options["padding"], **torch_options)
        x = randn(2, options["in_channels"], 11)

        def run(inputs):
            return {"": run_module(inputs[""])}

        return module, {"": x}, run


conv_case("conv1d_padding", in_channels=3, out_channels=4, kernel=3, padding=2)
conv_case("conv1d_stride_nobias", in_channels=3, out_channels=2, kernel=4, stride=2, padding=1, bias=False)
conv_case("conv1d_dilation_groups", in_channels=4, out_channels=6, kernel=3, padding=1, dilation=2, groups=2)
conv_case("conv1d_causal", in_channels=3, out_channels=4, kernel=3, dilation=2, causal=True)
conv_case("conv1d_causal_depthwise", in_channels=4, out_channels=4, kernel=4, groups=4, causal=True)


for _name, _kind, _module in [
    ("gelu", "gelu", lambda: nn.GELU(approximate="none")),
    ("gelu_tanh", "gelu_tanh", lambda: nn.GELU(approximate="tanh")),
    ("silu", "silu", lambda: nn.SiLU()),
    ("relu", "relu", lambda: nn.ReLU()),
    ("tanh", "tanh", lambda: nn.Tanh()),
]:
    case(_name, _kind, {})(lambda make=_module: plain(make(), (3, 4, 5)))


def mlp_case(name, activation, bias=True, tanh_gelu=False, dtype="float64"):
    options = {"dim": 6, "hidden": 10, "activation": activation, "bias": bias, "tanh_gelu": tanh_gelu}

    @case(name, "mlp", options, dtype)
    def _():
        return plain(MlpRef(6, 10, activation, bias, tanh_gelu), (2, 3, 6))


mlp_case("mlp_gelu", "gelu")
mlp_case("mlp_gelu_tanh", "gelu", tanh_gelu=True)
mlp_case("mlp_relu", "relu")
mlp_case("mlp_silu", "silu", bias=False)
mlp_case("mlp_swiglu", "swiglu", bias=False)
mlp_case("mlp_swiglu_bias", "swiglu")
mlp_case("mlp_geglu", "geglu")
mlp_case("mlp_geglu_tanh_f32", "geglu", tanh_gelu=True, dtype="float32")


def recurrent_case(name, kind, bidirectional=False, bias=True, dtype="float64"):
    options = {"input_size": 5, "hidden_size": 4, "layers": 2, "bias": bias, "batch_first": True,
               "bidirectional": bidirectional}

    @case(name, kind, options, dtype)
    def _():
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        module = cls(5, 4, num_layers=2, bias=bias, batch_first=True, bidirectional=bidirectional)
        rows = 2 * (2 if bidirectional else 1)
        batch, steps = 3, 6
        inputs = {"": randn(batch, steps, 5), "h0": randn(rows, batch, 4, scale=0.5)}
        if kind == "lstm":
            inputs["c0"] = randn(rows, batch, 4, scale=0.5)

        def run(values):
            if kind == "lstm":
                output, (h, c) = module(values[""], (values["h0"], values["c0"]))
                return {"": output, "h": h, "c": c}
            output, h = module(values[""], values["h0"])
            return {"": output, "h": h}

        return module, inputs, run


recurrent_case("lstm", "lstm")
recurrent_case("lstm_bidirectional", "lstm", bidirectional=True)
recurrent_case("lstm_f32", "lstm", dtype="float32")
recurrent_case("gru", "gru")
recurrent_case("gru_bidirectional_nobias", "gru", bidirectional=True, bias=False)
recurrent_case("rnn", "rnn")


def check_against_multihead_attention(module, causal, dim, heads, steps):
    """Cross-checks the hand-written reference with torch.nn.MultiheadAttention where both apply."""
    reference = nn.MultiheadAttention(dim, heads, bias=module.qkv.bias is not None, batch_first=True)
    reference = reference.to(torch.float64)
    module = module.to(torch.float64)
    with torch.no_grad():
        reference.in_proj_weight.copy_(module.qkv.weight)
        reference.out_proj.weight.copy_(module.proj.weight)
        if module.qkv.bias is not None:
            reference.in_proj_bias.copy_(module.qkv.bias)
            reference.out_proj.bias.copy_(module.proj.bias)
        x = torch.randn(2, steps, dim, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        mask = torch.ones(steps, steps, dtype=torch.bool).triu(1) if causal else None
        expected, _ = reference(x, x, x, attn_mask=mask, need_weights=False)
        if not torch.allclose(module(x), expected, rtol=1e-12, atol=1e-12):
            raise AssertionError("AttentionRef disagrees with nn.MultiheadAttention")


def attention_case(name, dim=16, heads=4, kv_heads=None, causal=True, window=None, rope=None, bias=True,
                   steps=7, dtype="float64"):
    kv = heads if kv_heads is None else kv_heads
    options = {"dim": dim, "heads": heads, "kv_heads": kv, "causal": causal, "window": window, "rope": rope,
               "bias": bias}

    @case(name, "attention", options, dtype)
    def _():
        module = AttentionRef(dim, heads, kv, causal, window, rope, bias)
        with torch.no_grad():  # sharper attention than the default init, so the masks matter
            module.qkv.weight.copy_(randn(*module.qkv.weight.shape, scale=1.5 / math.sqrt(dim)))
        if kv == heads and rope is None and window is None:
            check_against_multihead_attention(module, causal, dim, heads, steps)
        return plain(module, (2, steps, dim))


attention_case("attention_mha_causal_bias")
attention_case("attention_gqa", kv_heads=2, bias=False)
attention_case("attention_mqa_window", kv_heads=1, window=3, bias=False)
attention_case("attention_window_rope", heads=2, window=4, rope={"theta": 10000.0, "fraction": 1.0}, steps=9)
attention_case("attention_window_1", heads=2, window=1, steps=5)
attention_case("attention_gqa_rope", kv_heads=2, bias=False, rope={"theta": 10000.0, "fraction": 1.0})
attention_case("attention_rope_half", heads=2, rope={"theta": 100.0, "fraction": 0.5})
attention_case("attention_noncausal", causal=False)
attention_case("attention_noncausal_rope", heads=2, kv_heads=1, causal=False, rope={"theta": 500.0, "fraction": 0.5})
attention_case("attention_gqa_rope_f32", kv_heads=2, bias=False, rope={"theta": 10000.0, "fraction": 1.0},
               dtype="float32")


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def run_case(name, kind, options, dtype_name, build):
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    dtype = DTYPES[dtype_name]
    module, inputs, run = build()
    module.to(dtype)
    inputs = {key: value.to(dtype) if value.is_floating_point() else value for key, value in inputs.items()}
    for value in inputs.values():
        if value.is_floating_point():
            value.requires_grad_(True)

    outputs = run(inputs)
    projections = {key: randn(*value.shape).to(dtype) for key, value in outputs.items()}
    loss = sum((outputs[key] * projections[key]).sum() for key in sorted(outputs))
    parameters = dict(module.named_parameters())
    grad_targets = [value for value in inputs.values() if value.is_floating_point()] + list(parameters.values())
    grads = torch.autograd.grad(loss, grad_targets)

    def key(*parts):
        return ".".join(part for part in (name,) + parts if part)

    tensors = {}
    for input_name, value in inputs.items():
        tensors[key("input", input_name)] = value.detach()
    for output_name, value in outputs.items():
        tensors[key("output", output_name)] = value.detach()
        tensors[key("projection", output_name)] = projections[output_name]
    grad_iter = iter(grads)
    for input_name, value in inputs.items():
        if value.is_floating_point():
            tensors[key("grad", "input", input_name)] = next(grad_iter)
    for parameter_name, value in parameters.items():
        tensors[key("param", parameter_name)] = value.detach()
        tensors[key("grad", "param", parameter_name)] = next(grad_iter)

    for tensor_name, value in tensors.items():
        if value.is_floating_point() and value.dtype != dtype:
            raise AssertionError(f"{tensor_name}: {value.dtype}, expected {dtype}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{tensor_name}: not finite")
    description = {"kind": kind, "dtype": dtype_name, "options": options}
    return tensors, json.dumps(description, sort_keys=True, separators=(",", ":"))


def main():
    torch.set_num_threads(1)  # one summation order, so reruns give the same bytes
    names = [name for name, *_ in CASES]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate case names")
    tensors, metadata = {}, {"format": FORMAT}
    for name, kind, options, dtype, build in CASES:
        case_tensors, description = run_case(name, kind, options, dtype, build)
        tensors.update(case_tensors)
        metadata[name] = description
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    os.chmod(OUTPUT, 0o644)  # the writer's temp file is private
    print(f"wrote {len(CASES)} cases, {len(tensors)} tensors to {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
