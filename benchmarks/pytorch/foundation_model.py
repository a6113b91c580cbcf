"""PyTorch side of benchmarks/foundation-model.sh: the liquid-foundation-tiny train step.

    /usr/bin/python3 benchmarks/pytorch/foundation_model.py [--seconds S] [--batch B] [--steps T]
    /usr/bin/python3 benchmarks/pytorch/foundation_model.py --check

The model is models/liquid-foundation-tiny.model.yaml written the way a PyTorch user would write it
for speed, not the dense reference of tests/reference/make_foundation_model.py: the FFT compression
masked for the whole batch at once, GQA attention with the K/V heads grouped as views and a masked
dense T×T score (T 128 is small; torch 1.13 has no fused attention), the deformable sampling as one
gather over all taps, the mixture dispatching each expert's routed tokens (index_select → expert →
index_add_), nn.LSTM for the memory. Same defaults as the YAML (d 64, 2 layers, 4 heads, 2 kv groups,
window 64, FF 128, 4 experts, dynamic top-2, LSTM 32 × 2, dropout 0.1, vocabulary 256).

A train step: forward of B × T tokens in training mode (dropout on), the YAML's objective
(cross-entropy with label smoothing 0.1 + focal α 1 γ 2 + reconstruction + the mixtures' entropy and
over-use terms), backward, gradient clipping at 1.0, AdamW (lr 1e-3, weight decay 1e-3 on matrices
and embeddings only, as ParameterGroups.DecayAndNoDecay), zero_grad. One intra-op thread. Prints one
JSON line {"case", "side", "ms", "cpu_ms", "calls", "tokens_per_s"}.

--check compares this model with the reference (make_foundation_model.py's) on the same random
weights in float64 and eval mode: logits and every loss term must agree to 1e-10, so the two sides of
the benchmark run the same model.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import set_threads, timed  # noqa: E402

CONFIG = {"vocab_size": 256, "context": 128, "d_model": 64, "layers": 2, "heads": 4, "kv_groups": 2, "window": 64, "ff": 128,
          "experts": 4, "top_k": 2, "lstm_hidden": 32, "lstm_layers": 2, "dropout": 0.1}


def rope(x, theta=10000.0):
    steps, width = x.shape[-2], x.shape[-1]
    half = width // 2
    inv = theta ** (-2.0 * torch.arange(half, dtype=torch.float64) / width)
    angles = torch.arange(steps, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Embedding(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.dropout = c["dropout"]
        self.token = nn.Embedding(c["vocab_size"], d)
        self.position = nn.Embedding(c["context"], d)
        self.conv1 = nn.Conv1d(d, d, 3)
        self.conv2 = nn.Conv1d(d, d, 3)
        self.norm = nn.LayerNorm(d)
        self.proj = nn.Linear(d, d)
        self.out_norm = nn.LayerNorm(d)

    def forward(self, ids):
        steps = ids.shape[1]
        x = (self.token(ids) + self.position.weight[:steps]).transpose(1, 2)
        x = F.gelu(self.conv1(F.pad(x, (2, 0))))
        x = F.gelu(self.conv2(F.pad(x, (2, 0))).transpose(1, 2).contiguous())
        h = F.dropout(self.norm(x), self.dropout, self.training)
        n = 1 << max(0, (steps - 1).bit_length())
        spectrum = torch.fft.rfft(h, n=n, dim=1)
        bins = spectrum.shape[1]
        with torch.no_grad():
            magnitude = spectrum.abs().flatten(1)
            count = (magnitude > 0.1 * magnitude.max(1, keepdim=True).values).sum(1).double()
            ratio = (0.5 * (1 - count / (bins * h.shape[2]))).clamp(0.1, 1.0)
            keep = torch.ceil(ratio * n).clamp(1, bins)
            mask = (torch.arange(bins, dtype=torch.float64)[None, :] < keep[:, None]).to(h.dtype)[:, :, None]
        r = torch.fft.irfft(spectrum * mask, n=n, dim=1)[:, :steps]
        projected = self.proj(r)
        out = self.out_norm(projected)
        loss = (0.6 * (1 - F.cosine_similarity(out, projected, dim=-1)).mean() + 0.2 * F.smooth_l1_loss(out, projected)
                + 0.2 * F.mse_loss(out, projected))
        return out, loss


class DiffAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.heads = c["d_model"], c["heads"]
        self.kv_heads = self.heads // c["kv_groups"]
        self.head_dim = d // self.heads
        self.half = self.head_dim // 2
        self.window = c["window"]
        self.qkv = nn.Linear(d, (self.heads + 2 * self.kv_heads) * self.head_dim, bias=False)
        self.proj = nn.Linear(self.heads * self.head_dim, d, bias=False)
        for name in ("lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"):
            setattr(self, name, nn.Parameter(torch.randn(self.half) * 0.1))

    def attend(self, q, k, v, blocked):
        b, h, t, _ = q.shape
        group = h // self.kv_heads
        scores = (q / math.sqrt(self.half)).reshape(b, self.kv_heads, group * t, -1) @ k.transpose(-2, -1)
        weights = scores.view(b, self.kv_heads, group, t, t).masked_fill(blocked, float("-inf")).softmax(-1)
        return (weights.view(b, self.kv_heads, group * t, t) @ v).view(b, h, t, -1)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, self.heads + 2 * self.kv_heads, self.head_dim).transpose(1, 2).split(
            [self.heads, self.kv_heads, self.kv_heads], 1)
        d = self.half
        q1, q2, k1, k2 = rope(q[..., :d]), rope(q[..., d:]), rope(k[..., :d]), rope(k[..., d:])
        i = torch.arange(t)[:, None]
        j = torch.arange(t)[None, :]
        blocked = (j > i) | (j <= i - self.window)
        lam = (torch.exp((self.lambda_q1 * self.lambda_k1).sum()) - torch.exp((self.lambda_q2 * self.lambda_k2).sum()) + 0.8).clamp(0.1, 0.9)
        out = self.attend(q1, k1, v, blocked) - lam * self.attend(q2, k2, v, blocked)
        return self.proj(out.transpose(1, 2).reshape(b, t, -1))


class DeformableConv(nn.Module):
    """Causal deformable conv C → 2C, kernel 3, dilation 2, by one gather over the taps."""

    def __init__(self, c_in, c_out, kernel=3, dilation=2):
        super().__init__()
        self.kernel, self.dilation = kernel, dilation
        self.weight = nn.Parameter(torch.empty(c_out, c_in, kernel))
        self.bias = nn.Parameter(torch.empty(c_out))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        bound = 1 / math.sqrt(c_in * kernel)
        nn.init.uniform_(self.bias, -bound, bound)
        self.offset_weight = nn.Parameter(torch.zeros(kernel, c_in, kernel))
        self.offset_bias = nn.Parameter(torch.zeros(kernel))

    def forward(self, x):  # [B, T, C]
        b, t, c = x.shape
        pad = (self.kernel - 1) * self.dilation
        offsets = F.conv1d(F.pad(x.transpose(1, 2), (pad, 0)), self.offset_weight, self.offset_bias, dilation=self.dilation)  # [B, K, T]
        steps = torch.arange(t)
        base = steps[None, :] + (torch.arange(self.kernel) * self.dilation - pad)[:, None]  # [K, T]
        whole = offsets.detach().floor()
        frac = (offsets - whole)[..., None]  # [B, K, T, 1]
        low = base[None] + whole.long()  # [B, K, T]
        flat = x.reshape(b * t, c)
        start = (torch.arange(b) * t)[:, None, None]

        def read(position):
            valid = (position >= 0) & (position <= steps[None, None, :])  # causal: never beyond t
            index = position.clamp(0, t - 1) + start
            return flat.index_select(0, index.reshape(-1)).view(b, self.kernel, t, c) * valid[..., None].to(x.dtype)

        sampled = read(low) * (1 - frac) + read(low + 1) * frac  # [B, K, T, C]
        return torch.einsum("bktc,ock->bto", sampled, self.weight) + self.bias


class GatedConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.channels, self.dropout = c["d_model"], c["dropout"]
        self.conv = DeformableConv(self.channels, 2 * self.channels)

    def forward(self, x):
        main, gate = self.conv(x).chunk(2, dim=-1)
        y = F.dropout(F.gelu(main) * torch.sigmoid(gate), self.dropout, self.training)
        return F.layer_norm(y, (self.channels,))


class Expert(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc = nn.Linear(d, hidden)
        self.proj = nn.Linear(hidden, d)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class Moe(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.experts_count, self.top_k = c["experts"], c["top_k"]
        self.gate = nn.Linear(c["d_model"], self.experts_count)
        self.experts = nn.ModuleList(Expert(c["d_model"], c["ff"]) for _ in range(self.experts_count))

    def forward(self, x):
        flat = x.reshape(-1, x.shape[-1])
        logits = self.gate(flat)
        probs = logits.softmax(-1)
        entropy = -(probs * logits.log_softmax(-1)).sum(-1)
        with torch.no_grad():
            k = torch.floor(self.top_k * (1 + entropy)).clamp(1, self.experts_count).long()
            k_max = int(k.max())
        chosen, experts = probs.topk(k_max, dim=-1)
        used = torch.arange(k_max)[None, :] < k[:, None]
        chosen = chosen * used
        weights = chosen / chosen.sum(-1, keepdim=True)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            token, slot = ((experts == e) & used).nonzero(as_tuple=True)
            if token.numel():
                out.index_add_(0, token, expert(flat.index_select(0, token)) * weights[token, slot, None])
        aux = 0.05 * entropy.mean() + (probs.mean(0) - 0.4).relu().sum()
        return out.view_as(x), aux


class FfLn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dropout = c["dropout"]
        self.fc = nn.Linear(c["d_model"], c["ff"])
        self.ln = nn.LayerNorm(c["ff"])
        self.proj = nn.Linear(c["ff"], c["d_model"])

    def forward(self, x):
        return self.proj(F.dropout(F.gelu(self.ln(self.fc(x))), self.dropout, self.training))


class LstmMemory(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dropout = c["dropout"]
        self.lstm = nn.LSTM(c["d_model"], c["lstm_hidden"], c["lstm_layers"], batch_first=True)
        self.fc = nn.Linear(c["lstm_hidden"], c["d_model"])
        self.proj = nn.Linear(c["d_model"], c["d_model"])

    def forward(self, x, state):
        y, state = self.lstm(x, state)
        return x + self.proj(F.gelu(self.fc(F.dropout(y, self.dropout, self.training)))), state


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.dropout = c["d_model"], c["dropout"]
        self.ln_1, self.attn = nn.LayerNorm(d), DiffAttention(c)
        self.ln_2, self.conv = nn.LayerNorm(d), GatedConv(c)
        self.ln_3, self.moe = nn.LayerNorm(d), Moe(c)
        self.ff = FfLn(c)
        self.memory = LstmMemory(c)

    def forward(self, x, memory):
        drop = lambda y: F.dropout(y, self.dropout, self.training)  # noqa: E731
        x = x + drop(self.attn(self.ln_1(x)))
        x = x + drop(self.conv(self.ln_2(x)))
        h, aux = self.moe(self.ln_3(x))
        x = x + drop(h)
        x = x + self.ff(x)
        x, memory = self.memory(x, memory)
        return x, memory, aux


class LiquidFoundationTiny(nn.Module):
    def __init__(self, c=CONFIG):
        super().__init__()
        self.embed = Embedding(c)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.ln_f = nn.LayerNorm(c["d_model"])
        self.head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)

    def forward(self, tokens):
        x, reconstruction = self.embed(tokens)
        memory, moe_aux = None, 0
        for block in self.blocks:
            x, memory, aux = block(x, memory)
            moe_aux = moe_aux + aux
        return self.head(self.ln_f(x)), reconstruction, moe_aux


def objective(logits, targets, reconstruction, moe_aux):
    flat, target = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    cross_entropy = F.cross_entropy(flat, target, label_smoothing=0.1)
    per_token = F.cross_entropy(flat, target, reduction="none")
    focal = ((1 - torch.exp(-per_token)) ** 2 * per_token).mean()
    return cross_entropy, focal, cross_entropy + focal + reconstruction + moe_aux


def check():
    """This model and the reference on the same weights (float64, eval): logits and losses agree."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
    import make_foundation_model as reference  # noqa: E402

    torch.set_default_dtype(torch.float64)
    torch.manual_seed(3)
    config = dict(CONFIG, vocab_size=48, context=16, d_model=32, window=5, ff=40, lstm_hidden=12)
    theirs = reference.LiquidFoundationTiny(config)
    reference.randomize(theirs)
    ours = LiquidFoundationTiny(config)
    missing, unexpected = ours.load_state_dict(theirs.state_dict(), strict=True)
    ours.eval()
    theirs.eval()
    tokens = torch.randint(0, config["vocab_size"], (2, 13))
    logits, reconstruction, moe_aux = ours(tokens[:, :-1])
    ref_logits, ref_reconstruction, block_losses = theirs(tokens[:, :-1])
    ref_aux = sum(losses["aux"] for losses in block_losses)
    worst = max((logits - ref_logits).abs().max().item(), abs(reconstruction.item() - ref_reconstruction.item()), abs(moe_aux.item() - ref_aux.item()))
    print(json.dumps({"check": "foundation-model", "max_abs_difference": worst}))
    if worst > 1e-10:
        raise SystemExit(f"the benchmark's model differs from the reference by {worst}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        check()
        return
    set_threads(1)
    torch.manual_seed(1)
    model = LiquidFoundationTiny()
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-3}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    parameters = list(model.parameters())
    data = torch.randint(0, CONFIG["vocab_size"], (args.batch, args.steps + 1))
    tokens, targets = data[:, :-1], data[:, 1:]

    def step():
        logits, reconstruction, moe_aux = model(tokens)
        objective(logits, targets, reconstruction, moe_aux)[-1].backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    ms, cpu_ms, calls = timed(step, warm=1.0, measure=args.seconds, warm_calls=2, calls_min=3)
    print(json.dumps({"case": "foundation-tiny/train", "side": "pytorch", "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3), "calls": calls,
                      "tokens_per_s": round(args.batch * args.steps / ms * 1e3, 1)}))


if __name__ == "__main__":
    main()
