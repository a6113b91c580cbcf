"""Write the Liquid Foundation layer references that tests/Liquid.Runtime.Tests/Nn/Foundation/ reads.

Output: tests/reference/data/foundation.safetensors, in the layout of make_nn_layers.py (format
"liquid-foundation-reference-v1"). For a case named NAME the file holds

  NAME.param.P            every parameter, under the layer's state-dict key P;
  NAME.input[.X]          the inputs ("" the main one; "h0"/"c0" an LSTM state);
  NAME.output[.Y]         the outputs ("" the main one; auxiliary losses by name, e.g. "aux",
                          "entropy", "reconstruction"; "h"/"c" an LSTM state);
  NAME.projection[.Y]     a fixed random W per output (a scalar for a loss); the scalar loss is
                          L = sum over outputs of sum(output * W);
  NAME.grad.input[.X]     dL/d(input) for every floating input;
  NAME.grad.param.P       dL/dP for every parameter;
  NAME.extra.E            facts a test checks beside the outputs: the MoE routing token by token
                          (extra.routed [N, E] bool, extra.weights [N, E] combine weights), the
                          embedding before compression and the frequency bins kept per sample
                          (extra.h, extra.keep), conv1d's output for a deformable conv with zero
                          offsets (extra.conv1d).

The metadata maps each case name to {"kind", "dtype", "options"}; the options use the runtime's
option names in snake_case.

Every reference is written here from the equations in ../shared/design/SEED-MODELS.md §3, with
PyTorch building blocks and in a different form from the runtime wherever one exists: attention as
dense T×T scores with explicit masks and repeated K/V heads (the runtime computes a band), the
mixture of experts as every expert on every token weighted by a dense routing matrix (the runtime
gathers the routed tokens), deformable sampling as an explicit loop over kernel taps (cross-checked
here against torch.nn.functional.grid_sample) and zero offsets against F.conv1d.

Run with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_foundation.py
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
OUTPUT = os.path.join(DATA_DIR, "foundation.safetensors")
FORMAT = "liquid-foundation-reference-v1"

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def randn(*shape, scale=1.0):
    return torch.randn(shape, dtype=torch.float64) * scale


def perturb(module, scale):
    """Every parameter N(0, scale²): zero-initialized parts (offsets, norms) would hide their terms."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(randn(*parameter.shape, scale=scale))


# ---------------------------------------------------------------------------
# LiquidEmbedding
# ---------------------------------------------------------------------------


class LiquidEmbeddingRef(nn.Module):
    """tok + pos → GELU(conv k) → GELU(conv k) → LN → FFT low-pass over the sequence → LN(proj(r)).

    Compression per sample b: X = rfft(h_b, n=N) over time with N the next power of two ≥ T;
    complexity = share of the (N/2 + 1)·D bins with |X| > threshold·max|X| (max over the sample);
    ratio = clamp(scale·(1 − complexity), min, max); bins 0 … ⌈ratio·N⌉ − 1 are kept (at most
    N/2 + 1); r = irfft(kept, n=N)[:T]. Reconstruction loss between out and the target (proj(r), or
    h with target "embedding"): wc·mean(1 − cos) + ws·SmoothL1 + wm·MSE.
    """

    def __init__(self, o):
        super().__init__()
        self.o = o
        d, k = o["dim"], o["kernel"]
        self.token = nn.Embedding(o["vocab"], d)
        self.position = nn.Embedding(o["max_positions"], d)
        pad = 0 if o["causal"] else (k - 1) // 2
        self.conv1 = nn.Conv1d(d, d, k, padding=pad)
        self.conv2 = nn.Conv1d(d, d, k, padding=pad)
        self.norm = nn.LayerNorm(d, eps=o["eps"])
        self.proj = nn.Linear(d, d)
        self.out_norm = nn.LayerNorm(d, eps=o["eps"])
        self.keep = None

    def conv(self, layer, x):  # x [B, D, T]
        if self.o["causal"]:
            x = F.pad(x, (self.o["kernel"] - 1, 0))
        return layer(x)

    def forward(self, ids):
        o = self.o
        batch, steps = ids.shape
        x = self.token(ids) + self.position.weight[:steps]
        x = F.gelu(self.conv(self.conv1, x.transpose(1, 2)))
        # The second GELU runs on a contiguous [B, T, D] copy: libtorch 1.13's float32 gelu_backward
        # is wrong when its incoming gradient is strided differently from its input, which a
        # transpose after the GELU would cause (see check_float32_against_float64).
        x = F.gelu(self.conv(self.conv2, x).transpose(1, 2).contiguous())
        h = self.norm(x)  # dropout is off in the references
        self.h = h.detach()

        n = 1
        while n < steps:
            n *= 2
        spectrum = torch.fft.rfft(h, n=n, dim=1)  # [B, n/2 + 1, D]
        bins = spectrum.shape[1]
        kept = []
        ratios = []
        pieces = []
        for b in range(batch):
            magnitude = spectrum[b].abs()
            count = int((magnitude > o["threshold"] * magnitude.max()).sum())
            complexity = count / (bins * h.shape[2])
            ratio = min(max(o["ratio_scale"] * (1 - complexity), o["min_ratio"]), o["max_ratio"])
            keep = min(max(math.ceil(ratio * n), 1), bins)
            kept.append(keep)
            ratios.append(ratio)
            low = torch.cat([spectrum[b, :keep], torch.zeros_like(spectrum[b, keep:])], dim=0)
            pieces.append(torch.fft.irfft(low, n=n, dim=0)[:steps])
        self.keep = torch.tensor(kept, dtype=torch.int64)
        self.ratios = ratios
        r = torch.stack(pieces)
        projected = self.proj(r)
        out = self.out_norm(projected)
        target = projected if o["target"] == "projection" else h
        cos = F.cosine_similarity(out, target, dim=-1)
        loss = (o["cosine_weight"] * (1 - cos).mean() + o["smooth_l1_weight"] * F.smooth_l1_loss(out, target, beta=o["smooth_l1_beta"])
                + o["mse_weight"] * F.mse_loss(out, target))
        return out, loss


# ---------------------------------------------------------------------------
# DiffAttention
# ---------------------------------------------------------------------------


def rope(x, theta):
    """Rotate-half RoPE over the whole last dim of x [B, H, T, d], positions 0 … T − 1."""
    steps, width = x.shape[-2], x.shape[-1]
    half = width // 2
    frequencies = theta ** (-2.0 * torch.arange(half, dtype=torch.float64) / width)
    angles = torch.arange(steps, dtype=torch.float64)[:, None] * frequencies[None, :]
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class DiffAttentionRef(nn.Module):
    """Differential attention (Ye et al. 2024) as SEED-MODELS §3 states it, from dense masked scores.

    Head width Dh = dim / heads, kv heads = heads / kv_groups, d = Dh / 2. The fused projection
    gives per query head [q1 | q2] (d each), per kv head [k1 | k2] and v (Dh). RoPE on q1, q2, k1,
    k2; A_i = softmax(q_i k_iᵀ / √d + mask); out_h = A1 v − λ A2 v with
    λ = clamp(exp(λq1·λk1) − exp(λq2·λk2) + λ_init, λ_min, λ_max); then the output projection.
    """

    def __init__(self, o):
        super().__init__()
        self.o = o
        dim, heads = o["dim"], o["heads"]
        self.heads, self.kv_heads = heads, heads // o["kv_groups"]
        self.head_dim = dim // heads
        self.half = self.head_dim // 2
        self.qkv = nn.Linear(dim, (heads + 2 * self.kv_heads) * self.head_dim, bias=False)
        self.proj = nn.Linear(heads * self.head_dim, dim, bias=False)
        self.lambda_q1 = nn.Parameter(torch.randn(self.half) * 0.1)
        self.lambda_k1 = nn.Parameter(torch.randn(self.half) * 0.1)
        self.lambda_q2 = nn.Parameter(torch.randn(self.half) * 0.1)
        self.lambda_k2 = nn.Parameter(torch.randn(self.half) * 0.1)

    def attend(self, q, k, v):
        steps = q.shape[2]
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.half)
        i = torch.arange(steps)[:, None]
        j = torch.arange(steps)[None, :]
        allowed = torch.ones(steps, steps, dtype=torch.bool)
        if self.o["causal"]:
            allowed &= j <= i
        if self.o["window"] is not None:
            allowed &= j > i - self.o["window"]
        return torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1) @ v

    def forward(self, x):
        o = self.o
        batch, steps, _ = x.shape
        h, kv, dh, d = self.heads, self.kv_heads, self.head_dim, self.half
        q, k, v = self.qkv(x).split([h * dh, kv * dh, kv * dh], dim=-1)
        q = q.reshape(batch, steps, h, dh).transpose(1, 2)
        k = k.reshape(batch, steps, kv, dh).transpose(1, 2)
        v = v.reshape(batch, steps, kv, dh).transpose(1, 2)
        q1, q2, k1, k2 = q[..., :d], q[..., d:], k[..., :d], k[..., d:]
        if o["rope_theta"] is not None:
            q1, q2, k1, k2 = (rope(t, o["rope_theta"]) for t in (q1, q2, k1, k2))
        lam = torch.exp((self.lambda_q1 * self.lambda_k1).sum()) - torch.exp((self.lambda_q2 * self.lambda_k2).sum()) + o["lambda_init"]
        lam = lam.clamp(o["lambda_min"], o["lambda_max"])
        context = self.attend(q1, k1, v) - lam * self.attend(q2, k2, v)
        return self.proj(context.transpose(1, 2).reshape(batch, steps, h * dh))


# ---------------------------------------------------------------------------
# Moe
# ---------------------------------------------------------------------------


class ExpertRef(nn.Module):
    """One expert: fc → GELU → proj (the runtime's Mlp with GELU)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class MoeRef(nn.Module):
    """Softmax gate, top-k (or per-token dynamic k) routing, every expert run densely and masked.

    k_t = clamp(⌊top_k·(1 + H_t)⌋, 1, E) with H_t the entropy of token t's gate distribution when
    dynamic; combine weights are the chosen probabilities, renormalized to sum 1 if normalize.
    Losses: entropy = mean_t H_t; overuse = Σ_e relu(mean_t p_te − threshold); balance (Switch) =
    E·Σ_e f_e·P_e with f_e the share of assignments and P_e = mean_t p_te; z = mean_t logsumexp²;
    aux = the weighted sum.
    """

    def __init__(self, o):
        super().__init__()
        self.o = o
        self.gate = nn.Linear(o["dim"], o["experts"], bias=o["gate_bias"])
        self.experts = nn.ModuleList(ExpertRef(o["dim"], o["hidden"]) for _ in range(o["experts"]))
        self.routed = None
        self.weights = None

    def forward(self, x):
        o = self.o
        experts = o["experts"]
        flat = x.reshape(-1, x.shape[-1])
        logits = self.gate(flat)
        probs = torch.softmax(logits, dim=-1)
        entropy = -(probs * torch.log_softmax(logits, dim=-1)).sum(-1)
        if o["dynamic_k"]:
            k = torch.floor(o["top_k"] * (1 + entropy.detach())).clamp(1, experts).long()
        else:
            k = torch.full((flat.shape[0],), o["top_k"], dtype=torch.long)
        order = torch.argsort(probs.detach(), dim=-1, descending=True)
        rank = torch.empty_like(order)
        rank.scatter_(1, order, torch.arange(experts).expand_as(order).contiguous())
        routed = rank < k[:, None]  # [N, E]: expert e is among token t's k_t most probable
        chosen = probs * routed
        weights = chosen / chosen.sum(-1, keepdim=True) if o["normalize"] else chosen
        self.routed, self.weights = routed, weights.detach()

        mixed = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            mixed = mixed + weights[:, e : e + 1] * expert(flat)

        share = probs.mean(0)
        assignments = routed.sum(0).to(probs.dtype)
        fraction = assignments / assignments.sum()
        losses = {
            "entropy": entropy.mean(),
            "overuse": torch.relu(share - o["overuse_threshold"]).sum(),
            "balance": experts * (fraction * share).sum(),
            "z": (torch.logsumexp(logits, dim=-1) ** 2).mean(),
        }
        losses["aux"] = (o["entropy_weight"] * losses["entropy"] + o["overuse_weight"] * losses["overuse"]
                         + o["balance_weight"] * losses["balance"] + o["z_loss_weight"] * losses["z"])
        return mixed.reshape(x.shape), losses


# ---------------------------------------------------------------------------
# DeformableConv1d, GatedConv
# ---------------------------------------------------------------------------


def output_length(steps, kernel, stride, padding, dilation, causal):
    total = steps + ((kernel - 1) * dilation if causal else 2 * padding)
    return (total - dilation * (kernel - 1) - 1) // stride + 1


def deformable_sample(x, offsets, kernel, stride, padding, dilation, causal):
    """x [B, T, C], offsets [B, K, T'] → samples [B, T', C, K] by floor + lerp, tap by tap.

    Tap k of output t reads position t·stride + k·dilation − pad + Δ (pad = padding, or
    (K − 1)·dilation on the left when causal) between its floor and the next index; indices outside
    [0, T − 1], and with causal also beyond t·stride (the output's own position), read zero.
    """
    batch, steps, channels = x.shape
    outputs = offsets.shape[2]
    pad = (kernel - 1) * dilation if causal else padding
    t = torch.arange(outputs)
    taps = []
    for k in range(kernel):
        base = t * stride + k * dilation - pad  # [T'] integral
        delta = offsets[:, k, :]  # [B, T']
        whole = torch.floor(delta.detach())
        frac = delta - whole
        low = base[None, :] + whole.long()  # [B, T']
        limit = (t * stride)[None, :] if causal else torch.full_like(low, steps - 1)
        values = []
        for index in (low, low + 1):
            valid = (index >= 0) & (index <= steps - 1) & (index <= limit)
            gathered = torch.gather(x, 1, index.clamp(0, steps - 1)[:, :, None].expand(batch, outputs, channels))
            values.append(gathered * valid[:, :, None])
        taps.append(values[0] * (1 - frac)[:, :, None] + values[1] * frac[:, :, None])
    return torch.stack(taps, dim=-1)


def grid_sample_reference(x, offsets, kernel, stride, padding, dilation):
    """The non-causal sampling again, through F.grid_sample (bilinear, zeros, align_corners)."""
    batch, steps, channels = x.shape
    outputs = offsets.shape[2]
    t = torch.arange(outputs, dtype=x.dtype)
    k = torch.arange(kernel, dtype=x.dtype)
    positions = t[None, None, :] * stride + k[None, :, None] * dilation - padding + offsets  # [B, K, T']
    grid_x = 2 * positions / (steps - 1) - 1
    grid = torch.stack([grid_x.reshape(batch, 1, kernel * outputs), torch.zeros(batch, 1, kernel * outputs, dtype=x.dtype)], dim=-1)
    image = x.transpose(1, 2)[:, :, None, :]  # [B, C, 1, T]
    sampled = F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return sampled.reshape(batch, channels, kernel, outputs).permute(0, 3, 1, 2)  # [B, T', C, K]


class DeformableConv1dRef(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.o = o
        c, k = o["in_channels"], o["kernel"]
        self.weight = nn.Parameter(torch.empty(o["out_channels"], c, k))
        self.bias = nn.Parameter(torch.empty(o["out_channels"])) if o["bias"] else None
        self.offset_weight = nn.Parameter(torch.zeros(k, c, k))
        self.offset_bias = nn.Parameter(torch.zeros(k))

    def offsets(self, x):
        o = self.o
        xt = x.transpose(1, 2)
        if o["causal"]:
            xt = F.pad(xt, ((o["kernel"] - 1) * o["dilation"], 0))
            padding = 0
        else:
            padding = o["padding"]
        return F.conv1d(xt, self.offset_weight, self.offset_bias, o["stride"], padding, o["dilation"])

    def forward(self, x):
        o = self.o
        samples = deformable_sample(x, self.offsets(x), o["kernel"], o["stride"], o["padding"], o["dilation"], o["causal"])
        out = torch.einsum("btck,ock->bto", samples, self.weight)
        return out + self.bias if self.bias is not None else out


class GatedConvRef(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.o = o
        c = o["channels"]
        self.conv = DeformableConv1dRef({"in_channels": c, "out_channels": 2 * c, "kernel": o["kernel"], "stride": 1,
                                         "padding": o["dilation"] * (o["kernel"] - 1) // 2, "dilation": o["dilation"],
                                         "bias": True, "causal": o["causal"]})

    def forward(self, x):
        main, gate = self.conv(x).chunk(2, dim=-1)
        return F.layer_norm(F.gelu(main) * torch.sigmoid(gate), (self.o["channels"],), eps=self.o["eps"])


# ---------------------------------------------------------------------------
# LstmMemory, FfLn
# ---------------------------------------------------------------------------


class LstmMemoryRef(nn.Module):
    def __init__(self, o):
        super().__init__()
        hidden = o["mlp_hidden"] or o["dim"]
        self.lstm = nn.LSTM(o["dim"], o["hidden"], num_layers=o["layers"], batch_first=True)
        self.fc = nn.Linear(o["hidden"], hidden)
        self.proj = nn.Linear(hidden, o["dim"])

    def forward(self, x, state):
        y, (h, c) = self.lstm(x, state)
        return x + self.proj(F.gelu(self.fc(y))), h, c


class FfLnRef(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.fc = nn.Linear(o["dim"], o["hidden"])
        self.ln = nn.LayerNorm(o["hidden"], eps=o["eps"])
        self.proj = nn.Linear(o["hidden"], o["dim"])

    def forward(self, x):
        return self.proj(F.gelu(self.ln(self.fc(x))))


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name, kind, options, dtype="float64"):
    def register(build):
        CASES.append((name, kind, options, dtype, build))
        return build

    return register


EMBEDDING_DEFAULTS = {"vocab": 13, "dim": 8, "max_positions": 16, "kernel": 3, "dropout": 0.0, "threshold": 0.1,
                      "ratio_scale": 0.5, "min_ratio": 0.1, "max_ratio": 1.0, "cosine_weight": 0.6,
                      "smooth_l1_weight": 0.2, "mse_weight": 0.2, "smooth_l1_beta": 1.0, "eps": 1e-5,
                      "causal": False, "target": "projection"}


def embedding_case(name, steps, batch=3, dtype="float64", **options):
    options = {**EMBEDDING_DEFAULTS, **options}

    @case(name, "liquid_embedding", options, dtype)
    def _():
        module = LiquidEmbeddingRef(options)
        perturb(module, 0.5)
        with torch.no_grad():  # weak positions, so that the sample of one repeated id is smooth in time
            module.position.weight.mul_(0.1)
        ids = torch.randint(0, options["vocab"], (batch, steps))
        # A smooth sample (one id repeated) next to random ones: their complexities and kept bins differ.
        ids[0] = ids[0, 0]

        def run(inputs):
            out, loss = module(inputs[""])
            return {"": out, "reconstruction": loss}

        return module, {"": ids}, run, lambda: {"keep": module.keep, "h": module.h}


embedding_case("liquid_embedding", steps=11)
embedding_case("liquid_embedding_pow2_causal", steps=8, causal=True)
embedding_case("liquid_embedding_target_embedding", steps=6, target="embedding", threshold=0.3)
embedding_case("liquid_embedding_f32", steps=13, dtype="float32", dim=16)


ATTENTION_DEFAULTS = {"dim": 16, "heads": 4, "kv_groups": 2, "window": None, "causal": True, "rope_theta": 10000.0,
                      "lambda_init": 0.8, "lambda_min": 0.1, "lambda_max": 0.9}


def attention_case(name, steps=9, dtype="float64", lambda_scale=0.1, **options):
    options = {**ATTENTION_DEFAULTS, **options}

    @case(name, "diff_attention", options, dtype)
    def _():
        module = DiffAttentionRef(options)
        with torch.no_grad():  # sharper attention than the default init, so the masks matter
            module.qkv.weight.copy_(randn(*module.qkv.weight.shape, scale=1.5 / math.sqrt(options["dim"])))
            for name_ in ("lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"):
                getattr(module, name_).copy_(randn(module.half, scale=lambda_scale))
        return module, {"": randn(2, steps, options["dim"])}, lambda inputs: {"": module(inputs[""])}, None


attention_case("diff_attention_window", window=3)
attention_case("diff_attention_window_1", window=1, steps=5)
attention_case("diff_attention_window_long", window=20)
attention_case("diff_attention_causal", kv_groups=1, rope_theta=100.0)
attention_case("diff_attention_mqa", kv_groups=4, window=4, steps=12)
attention_case("diff_attention_norope", window=5, rope_theta=None)
attention_case("diff_attention_noncausal", causal=False, kv_groups=1)
# λ vectors large enough that λ leaves [0.1, 0.9] and the clamp holds it (no gradient to them).
attention_case("diff_attention_lambda_clamped", window=3, lambda_scale=1.5)
attention_case("diff_attention_f32", window=4, dim=32, dtype="float32", steps=10)


MOE_DEFAULTS = {"dim": 6, "hidden": 10, "experts": 4, "top_k": 2, "dynamic_k": False, "normalize": True,
                "gate_bias": True, "entropy_weight": 0.05, "overuse_threshold": 0.4, "overuse_weight": 1.0,
                "balance_weight": 0.01, "z_loss_weight": 0.001}


def moe_case(name, shape=(3, 5), dtype="float64", gate_scale=1.0, favor=0.0, **options):
    options = {**MOE_DEFAULTS, **options}

    @case(name, "moe", options, dtype)
    def _():
        module = MoeRef(options)
        with torch.no_grad():  # a gate sharp enough to be uneven: some experts overused, some idle
            module.gate.weight.copy_(randn(*module.gate.weight.shape, scale=gate_scale))
            if module.gate.bias is not None:  # `favor` pushes expert 0 above the over-use threshold
                module.gate.bias[0] += favor

        def run(inputs):
            out, losses = module(inputs[""])
            return {"": out, **losses}

        return module, {"": randn(*shape, options["dim"])}, run, lambda: {"routed": module.routed, "weights": module.weights}


moe_case("moe_top2", favor=1.5)
moe_case("moe_top1_unnormalized", top_k=1, normalize=False, gate_bias=False, gate_scale=2.0)
moe_case("moe_dynamic", top_k=1, dynamic_k=True, gate_scale=0.7, shape=(2, 7))
moe_case("moe_dynamic_top2_of_8", experts=8, top_k=2, dynamic_k=True, gate_scale=1.5, favor=2.5, shape=(12,))
moe_case("moe_top2_f32", dtype="float32", dim=8, hidden=16, shape=(4, 6))


DEFORMABLE_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "bias": True, "causal": False}


def deformable_case(name, zero_offsets=False, steps=10, dtype="float64", **options):
    options = {**DEFORMABLE_DEFAULTS, **options}

    @case(name, "deformable_conv1d", options, dtype)
    def _():
        module = DeformableConv1dRef(options)
        perturb(module, 0.5)
        if zero_offsets:
            with torch.no_grad():
                module.offset_weight.zero_()
                module.offset_bias.zero_()
        else:
            with torch.no_grad():  # offsets of a few positions, fractional, some reaching outside the input
                module.offset_weight.mul_(2.0)
                module.offset_bias.copy_(randn(options["kernel"], scale=1.5))
        x = randn(2, steps, options["in_channels"])
        extras = None
        if zero_offsets:
            xt = x.transpose(1, 2)
            if options["causal"]:
                conv = F.conv1d(F.pad(xt, ((options["kernel"] - 1) * options["dilation"], 0)), module.weight, module.bias,
                                options["stride"], 0, options["dilation"])
            else:
                conv = F.conv1d(xt, module.weight, module.bias, options["stride"], options["padding"], options["dilation"])
            conv = conv.transpose(1, 2).detach()
            if not torch.allclose(module(x), conv, rtol=1e-12, atol=1e-12):
                raise AssertionError(f"{name}: zero-offset deformable reference differs from F.conv1d")
            extras = lambda: {"conv1d": conv}  # noqa: E731
        elif not options["causal"]:
            with torch.no_grad():
                offsets = module.offsets(x)
                mine = deformable_sample(x, offsets, options["kernel"], options["stride"], options["padding"], options["dilation"], False)
                theirs = grid_sample_reference(x, offsets, options["kernel"], options["stride"], options["padding"], options["dilation"])
            if not torch.allclose(mine, theirs, rtol=1e-10, atol=1e-12):
                raise AssertionError(f"{name}: tap-by-tap sampling differs from grid_sample")
        return module, {"": x}, lambda inputs: {"": module(inputs[""])}, extras


deformable_case("deformable_conv1d", in_channels=3, out_channels=4, kernel=3, padding=1)
deformable_case("deformable_conv1d_stride_dilation", in_channels=3, out_channels=2, kernel=3, stride=2, padding=2, dilation=2, steps=11)
deformable_case("deformable_conv1d_nobias", in_channels=2, out_channels=3, kernel=2, bias=False)
deformable_case("deformable_conv1d_causal", in_channels=3, out_channels=4, kernel=3, dilation=2, causal=True)
deformable_case("deformable_conv1d_zero_offsets", zero_offsets=True, in_channels=3, out_channels=4, kernel=3, stride=2, padding=2, dilation=2)
deformable_case("deformable_conv1d_zero_offsets_causal", zero_offsets=True, in_channels=3, out_channels=4, kernel=3, dilation=2, causal=True)
deformable_case("deformable_conv1d_f32", in_channels=4, out_channels=5, kernel=3, padding=1, dtype="float32")


def gated_case(name, dtype="float64", **options):
    options = {"channels": 4, "kernel": 3, "dilation": 2, "dropout": 0.0, "eps": 1e-5, "causal": False, **options}

    @case(name, "gated_conv", options, dtype)
    def _():
        module = GatedConvRef(options)
        perturb(module, 0.5)
        return module, {"": randn(2, 9, options["channels"])}, lambda inputs: {"": module(inputs[""])}, None


gated_case("gated_conv")
gated_case("gated_conv_causal", causal=True)
gated_case("gated_conv_f32", channels=8, dtype="float32")


def lstm_memory_case(name, with_state=True, dtype="float64", **options):
    options = {"dim": 6, "hidden": 5, "layers": 2, "dropout": 0.0, "lstm_dropout": 0.0, "mlp_hidden": None, **options}

    @case(name, "lstm_memory", options, dtype)
    def _():
        module = LstmMemoryRef(options)
        inputs = {"": randn(3, 4, options["dim"])}
        if with_state:
            inputs["h0"] = randn(options["layers"], 3, options["hidden"], scale=0.5)
            inputs["c0"] = randn(options["layers"], 3, options["hidden"], scale=0.5)

        def run(values):
            state = (values["h0"], values["c0"]) if with_state else None
            out, h, c = module(values[""], state)
            return {"": out, "h": h, "c": c}

        return module, inputs, run, None


lstm_memory_case("lstm_memory")
lstm_memory_case("lstm_memory_zero_state", with_state=False, mlp_hidden=9, layers=1)
lstm_memory_case("lstm_memory_f32", dtype="float32")


def ff_ln_case(name, dtype="float64", **options):
    options = {"dim": 6, "hidden": 11, "dropout": 0.0, "eps": 1e-5, **options}

    @case(name, "ff_ln", options, dtype)
    def _():
        module = FfLnRef(options)
        perturb(module, 0.5)
        return module, {"": randn(2, 3, options["dim"])}, lambda inputs: {"": module(inputs[""])}, None


ff_ln_case("ff_ln")
ff_ln_case("ff_ln_f32", dtype="float32", dim=16, hidden=24)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def run_case(name, kind, options, dtype_name, build):
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    dtype = DTYPES[dtype_name]
    module, inputs, run, extras = build()
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
    # allow_unused: a clamped λ gets no gradient; it is written as zeros, which is what autograd means.
    grads = torch.autograd.grad(loss, grad_targets, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, grad_targets)]

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
    if extras is not None:
        for extra_name, value in extras().items():
            tensors[key("extra", extra_name)] = value.detach().to(dtype) if value.is_floating_point() else value.detach()

    if dtype == torch.float32:
        check_float32_against_float64(name, kind, options, build, tensors)
    for tensor_name, value in tensors.items():
        if value.is_floating_point() and value.dtype != dtype:
            raise AssertionError(f"{tensor_name}: {value.dtype}, expected {dtype}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{tensor_name}: not finite")
    description = {"kind": kind, "dtype": dtype_name, "options": options}
    return tensors, json.dumps(description, sort_keys=True, separators=(",", ":"))


def check_float32_against_float64(name, kind, options, build, tensors):
    """A float32 case must agree with the same case in float64 to float32 accuracy.

    This guards the reference against libtorch's own float32 kernels: 1.13's gelu_backward returns
    garbage (values near 1e19) for a gradient strided unlike its input, which no finiteness check
    catches.
    """
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    module, inputs, run, _ = build()
    inputs = {key: value.detach().requires_grad_(True) if value.is_floating_point() else value for key, value in inputs.items()}
    outputs = run(inputs)
    wide = {}
    for output_name, value in outputs.items():
        wide[".".join(p for p in (name, "output", output_name) if p)] = value.detach()
    loss = sum((outputs[key] * tensors[".".join(p for p in (name, "projection", key) if p)].double()).sum() for key in sorted(outputs))
    parameters = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, list(parameters.values()), allow_unused=True)
    for parameter_name, grad in zip(parameters, grads):
        if grad is not None:
            wide[f"{name}.grad.param.{parameter_name}"] = grad
    for key, expected in wide.items():
        actual = tensors[key].double()
        bound = 1e-3 * expected.abs().max().item() + 1e-4
        if (actual - expected).abs().max().item() > bound:
            raise AssertionError(f"{key}: float32 differs from float64 by {(actual - expected).abs().max().item():.3g} > {bound:.3g}")


def main():
    torch.set_num_threads(1)  # one summation order, so reruns give the same bytes
    torch.set_default_dtype(torch.float64)  # modules are built in float64, f32 cases converted after
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
